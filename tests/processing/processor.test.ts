import request from 'supertest';
import { HandlerRegistry, type EventHandler, type WebhookEvent } from '../../src/processing/registry';
import { testApp } from '../helpers/app';
import { deferred, nextTurn, until } from '../helpers/async';
import { fakeClock } from '../helpers/deps';
import { fakeTimers } from '../helpers/timers';

/** An app whose processor times out on timers the test moves with the clock: no real waits. */
function appOnFakeTime(env: Record<string, string>): ReturnType<typeof testApp> & { timers: ReturnType<typeof fakeTimers> } {
  const clock = fakeClock();
  const timers = fakeTimers(clock);
  return { ...testApp({ env, now: clock.now, timers }), timers };
}

const BODY = JSON.stringify({ userId: '123' });

describe('processing received events', () => {
  it('runs a handler registered for the type after the 200, with the event', async () => {
    const { post, deps } = testApp();
    const gate = deferred();
    const seen: WebhookEvent[] = [];
    deps.registry.on('user.created', async (event) => {
      seen.push(event);
      await gate.promise;
    });

    // The response arrives while the handler is still held: the route does not wait for processing.
    const res = await post(BODY, { id: 'evt_1', event: 'user.created' });
    await until(() => seen.length === 1);

    expect(res.body).toEqual({ received: true, id: 'evt_1', duplicate: false });
    expect((await deps.history.get('evt_1'))?.processing).toEqual({ state: 'pending' });
    gate.resolve();
    await deps.processor.onIdle();

    expect(seen[0]).toMatchObject({
      id: 'evt_1',
      eventType: 'user.created',
      scheme: 'native',
      payload: { userId: '123' },
      headers: expect.objectContaining({ 'x-webhook-signature': '[redacted]' }),
    });
    expect(seen[0]!.rawBody.equals(Buffer.from(BODY))).toBe(true);
    expect((await deps.history.get('evt_1'))?.processing).toEqual({ state: 'done', durationMs: expect.any(Number) });
  });

  it('does not run a handler registered for another type', async () => {
    const { post, deps } = testApp();
    const other = jest.fn();
    deps.registry.on('order.paid', other);

    await post(BODY, { id: 'evt_1', event: 'user.created' });
    await deps.processor.onIdle();

    expect(other).not.toHaveBeenCalled();
    expect((await deps.history.get('evt_1'))?.processing?.state).toBe('done');
  });

  it('marks processing failed with the message of a handler that throws, and keeps serving', async () => {
    const { app, post, deps } = testApp();
    deps.registry.on('boom', () => {
      throw new Error('kaboom');
    });

    await post('{"n":1}', { id: 'evt_boom', event: 'boom' });
    await deps.processor.onIdle();
    const next = await post('{"n":2}', { id: 'evt_next', event: 'user.created' });
    await deps.processor.onIdle();

    expect((await deps.history.get('evt_boom'))?.processing).toEqual({ state: 'failed', error: 'kaboom', durationMs: expect.any(Number) });
    expect(next.status).toBe(200);
    expect((await deps.history.get('evt_next'))?.processing?.state).toBe('done');
    expect((await request(app).get('/webhook/history/evt_boom')).body).toMatchObject({ processing: { state: 'failed', error: 'kaboom' } });
  });

  it('marks processing failed when an async handler rejects', async () => {
    const { post, deps } = testApp();
    deps.registry.on('boom', async () => {
      await Promise.resolve();
      throw new Error('async kaboom');
    });

    await post(BODY, { id: 'evt_boom', event: 'boom' });
    await deps.processor.onIdle();

    expect((await deps.history.get('evt_boom'))?.processing).toMatchObject({ state: 'failed', error: 'async kaboom' });
  });

  it('cuts off a handler that hangs at PROCESSING_TIMEOUT_MS, aborts its signal, and processes the next event', async () => {
    const { post, deps, timers } = appOnFakeTime({ PROCESSING_TIMEOUT_MS: '50', PROCESSING_CONCURRENCY: '1' });
    let hungSignal: AbortSignal | undefined;
    deps.registry.on('hang', (_event, { signal }) => {
      hungSignal = signal;
      return new Promise<void>(() => {}); // never settles
    });
    const fast = jest.fn();
    deps.registry.on('fast', fast);

    await post('{"n":1}', { id: 'evt_hang', event: 'hang' });
    await post('{"n":2}', { id: 'evt_fast', event: 'fast' });
    await until(() => hungSignal !== undefined);
    timers.advance(49);
    await nextTurn();
    expect(hungSignal?.aborted).toBe(false);
    expect(fast).not.toHaveBeenCalled();
    timers.advance(1);
    await deps.processor.onIdle();

    expect((await deps.history.get('evt_hang'))?.processing).toMatchObject({ state: 'failed', error: 'handler timed out after 50 ms' });
    expect(hungSignal?.aborted).toBe(true);
    expect(fast).toHaveBeenCalledTimes(1);
    expect((await deps.history.get('evt_fast'))?.processing?.state).toBe('done');
  });

  it('counts PROCESSING_TIMEOUT_MS for all of an event\'s handlers together, and skips the rest once cut off', async () => {
    const { post, deps, timers } = appOnFakeTime({ PROCESSING_TIMEOUT_MS: '60' });
    let started = 0;
    const slow = (): Promise<void> => {
      started += 1;
      return new Promise<void>((resolve) => timers.setTimeout(resolve, 40));
    };
    const third = jest.fn();
    deps.registry.on('slow', slow).on('slow', slow).on('slow', third);

    await post('{"n":1}', { id: 'evt_slow', event: 'slow' });
    await until(() => started === 1);
    timers.advance(40); // the first ends; the second starts with 20 ms left of the event's 60
    await until(() => started === 2);
    timers.advance(20);
    await deps.processor.onIdle();

    expect((await deps.history.get('evt_slow'))?.processing).toMatchObject({ state: 'failed', error: 'handler timed out after 60 ms' });
    expect(third).not.toHaveBeenCalled();
  });

  it('gives a synchronous handler a live signal it can pass on', async () => {
    const { post, deps } = testApp();
    let seen: AbortSignal | undefined;
    deps.registry.on('sync', (_event, { signal }) => {
      seen = signal;
    });

    await post('{"n":1}', { id: 'evt_sync', event: 'sync' });
    await deps.processor.onIdle();

    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen?.aborted).toBe(false);
    expect((await deps.history.get('evt_sync'))?.processing?.state).toBe('done');
  });

  it('never runs more than PROCESSING_CONCURRENCY events at once', async () => {
    const { post, deps } = testApp({ env: { PROCESSING_CONCURRENCY: '2' } });
    const gate = deferred();
    let running = 0;
    let maxRunning = 0;
    let finished = 0;
    deps.registry.on('job', async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await gate.promise;
      running -= 1;
      finished += 1;
    });

    for (let i = 0; i < 5; i += 1) await post(JSON.stringify({ i }), { id: `job_${i}`, event: 'job' });
    await until(() => running === 2);
    for (let turn = 0; turn < 20; turn += 1) await nextTurn(); // room for a third to start, if the bound were broken

    expect(running).toBe(2);
    expect(deps.processor.pending()).toBe(5);
    gate.resolve();
    await deps.processor.onIdle();

    expect(finished).toBe(5);
    expect(maxRunning).toBe(2);
    expect(deps.processor.pending()).toBe(0);
  });

  it('processes events in the order they were received', async () => {
    const { post, deps } = testApp({ env: { PROCESSING_CONCURRENCY: '1' } });
    const order: string[] = [];
    deps.registry.onAny((event) => {
      order.push(event.id);
    });

    for (const id of ['a', 'b', 'c']) await post(JSON.stringify({ id }), { id });
    await deps.processor.onIdle();

    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('resolves onIdle at once when nothing is queued', async () => {
    const { deps } = testApp();

    await expect(deps.processor.onIdle()).resolves.toBeUndefined();
    expect(deps.processor.pending()).toBe(0);
  });
});

describe('HandlerRegistry', () => {
  it("runs a type's own handlers before the catch-alls, in registration order", async () => {
    const first: EventHandler = () => {};
    const second: EventHandler = () => {};
    const any: EventHandler = () => {};
    const registry = new HandlerRegistry().onAny(any).on('t', first).on('t', second);

    expect(registry.handlersFor('t')).toEqual([first, second, any]);
    expect(registry.handlersFor('other')).toEqual([any]);
    expect(registry.handlersFor(null)).toEqual([any]);
  });

  it('throws a TypeError for an empty event type or a handler that is not a function', async () => {
    const registry = new HandlerRegistry();

    expect(() => registry.on('', () => {})).toThrow(TypeError);
    expect(() => registry.on('t', 'nope' as unknown as EventHandler)).toThrow(TypeError);
    expect(() => registry.onAny(undefined as unknown as EventHandler)).toThrow(TypeError);
  });
});

describe('a handler that gives up when its signal aborts', () => {
  it('is recorded as timed out, and the handlers after it do not run', async () => {
    const { post, deps, timers } = appOnFakeTime({ PROCESSING_TIMEOUT_MS: '50' });
    const after = jest.fn();
    let waiting = false;
    deps.registry.on('polite', (_event, { signal }) => {
      waiting = true;
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    });
    deps.registry.on('polite', after);

    await post('{"n":1}', { id: 'evt_polite', event: 'polite' });
    await until(() => waiting);
    timers.advance(50);
    await deps.processor.onIdle();

    expect((await deps.history.get('evt_polite'))?.processing).toMatchObject({ state: 'failed', error: 'handler timed out after 50 ms' });
    expect(after).not.toHaveBeenCalled();
  });
});
