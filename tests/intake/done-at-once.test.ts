import request from 'supertest';
import type { HistoryEntry } from '../../src/history/store';
import { registerHandlers } from '../../src/handlers';
import { HandlerRegistry } from '../../src/processing/registry';
import { testApp } from '../helpers/app';
import { memoryLogger } from '../helpers/deps';

// Issue 13: an event none of whose handlers would do anything (the default catch-all logs at debug only) is
// stored `done` at once and never queued, unless the stream has a listener that would see it pending.

async function entry(app: ReturnType<typeof testApp>['app'], id: string): Promise<HistoryEntry> {
  const res = await request(app).get(`/webhook/history/${id}`);
  expect(res.status).toBe(200);
  return res.body as HistoryEntry;
}

describe('processing an event no handler would act on', () => {
  it('stores it done at once and queues nothing when only the debug catch-all would run at info level', async () => {
    const { post, deps, app } = testApp({ logger: memoryLogger('info').logger });

    await post('{"a":1}', { id: 'evt_quiet', event: 'user.created' }).expect(200);

    await deps.processor.onIdle();

    expect((await entry(app, 'evt_quiet')).processing).toEqual({ state: 'done', durationMs: 0 });
    expect(deps.feed.lastSeq).toBe(1); // 'received' only: no processing update was written
    expect(await deps.metrics.registry.metrics()).toMatch(/webhook_processing_total\{outcome="done"\} 1/);
  });

  it('runs the catch-all through the queue when debug lines are wanted', async () => {
    const log = memoryLogger('debug');
    const { post, deps } = testApp({ logger: log.logger });

    await post('{"a":1}', { id: 'evt_logged', event: 'user.created' }).expect(200);
    await deps.processor.onIdle();

    expect(deps.feed.lastSeq).toBe(2); // 'received', then 'updated' with the outcome
    expect(log.lines().some((line) => line.includes('webhook processed') && line.includes('evt_logged'))).toBe(true);
  });

  it('queues an event whose type has a handler of its own', async () => {
    const seen: string[] = [];
    const registry = registerHandlers(new HandlerRegistry()).on('user.created', (event) => {
      seen.push(event.id);
    });
    const { post, deps, app } = testApp({ logger: memoryLogger('info').logger, registry });

    await post('{"a":1}', { id: 'evt_handled', event: 'user.created' }).expect(200);
    await deps.processor.onIdle();

    expect(seen).toEqual(['evt_handled']);
    expect((await entry(app, 'evt_handled')).processing).toMatchObject({ state: 'done' });
  });

  it('queues it while the stream has a listener, so the page sees it pending and then done', async () => {
    const { post, deps, app } = testApp({ logger: memoryLogger('info').logger });
    const seen: string[] = [];
    deps.feed.subscribe({ onEvent: (event) => seen.push(`${event.name} ${JSON.stringify((event.data as HistoryEntry).processing)}`) });

    await post('{"a":1}', { id: 'evt_watched', event: 'user.created' }).expect(200);
    await deps.processor.onIdle();

    expect(seen).toEqual(['received {"state":"pending"}', expect.stringMatching(/^updated \{"state":"done"/)]);
    expect((await entry(app, 'evt_watched')).processing).toMatchObject({ state: 'done' });
  });
});
