import { connect } from 'node:net';
import request from 'supertest';
import { createApp } from '../../src/app';
import type { AppDeps } from '../../src/deps';
import { createHistoryFeed } from '../../src/history/feed';
import { makeDeps, memoryLogger } from '../helpers/deps';
import { nativeHeaders } from '../helpers/sign';
import { listen, openStream, type SseClient } from '../helpers/sse';

type Served = Awaited<ReturnType<typeof listen>>;

let served: Served | undefined;
const clients: SseClient[] = [];

async function serve(deps: AppDeps): Promise<Served> {
  served = await listen(createApp(deps));
  return served;
}

async function stream(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await openStream(url, '/webhook/history/stream', headers);
  clients.push(client);
  return client;
}

function postWebhook(target: Served, body: string, options: { id?: string; event?: string; badSignature?: boolean } = {}) {
  const headers = nativeHeaders(body, { nowMs: Date.now(), id: options.id, event: options.event });
  if (options.badSignature) headers['x-webhook-signature'] = `sha256=${'0'.repeat(64)}`;
  return request(target.server).post('/webhook/receive').set(headers).send(body);
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await served?.close();
  served = undefined;
});

describe('GET /webhook/history/stream', () => {
  it('answers as an event stream, not as a history entry called "stream"', async () => {
    const target = await serve(makeDeps());
    const client = await stream(target.url);
    expect(client.response.statusCode).toBe(200);
    expect(client.response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(client.response.headers['cache-control']).toContain('no-cache');
    expect((await client.nextEvent()).event).toBe('ready');
  });

  it('pushes a received webhook and then its processing update, in order', async () => {
    const deps = makeDeps();
    const target = await serve(deps);
    const client = await stream(target.url);
    await client.nextEvent(); // ready

    await postWebhook(target, '{"userId":"123"}', { id: 'evt_live_1', event: 'user.created' }).expect(200);

    const received = await client.nextEvent();
    expect(received.event).toBe('received');
    const entry = JSON.parse(received.data!);
    expect(entry).toMatchObject({ id: 'evt_live_1', eventType: 'user.created', status: 'accepted', payload: { userId: '123' } });
    expect(entry.headers['x-webhook-signature']).toBe('[redacted]');
    const updated = await client.nextEvent();
    expect(updated.event).toBe('updated');
    expect(JSON.parse(updated.data!)).toEqual({ id: 'evt_live_1', duplicates: 0, processing: expect.objectContaining({ state: 'done' }) });
    expect(Number(updated.id)).toBe(Number(received.id) + 1);
  });

  it('pushes a rejected request with the reason it was rejected', async () => {
    const target = await serve(makeDeps());
    const client = await stream(target.url);
    await client.nextEvent();

    await postWebhook(target, '{"a":1}', { badSignature: true }).expect(401);

    const rejected = await client.nextEvent();
    expect(rejected.event).toBe('rejected');
    expect(JSON.parse(rejected.data!)).toMatchObject({ status: 'rejected', verification: { ok: false, reason: 'signature.mismatch' } });
  });

  it('pushes the duplicate count when the same event arrives again', async () => {
    const deps = makeDeps();
    const target = await serve(deps);
    await postWebhook(target, '{"a":1}', { id: 'evt_twice' }).expect(200);
    await deps.processor.onIdle();
    const client = await stream(target.url);
    await client.nextEvent();

    await postWebhook(target, '{"a":1}', { id: 'evt_twice' }).expect(200);

    const updated = await client.nextEvent();
    expect(updated.event).toBe('updated');
    expect(JSON.parse(updated.data!)).toMatchObject({ id: 'evt_twice', duplicates: 1 });
  });

  it('sends a heartbeat comment every STREAM_HEARTBEAT_MS', async () => {
    const target = await serve(makeDeps({ env: { STREAM_HEARTBEAT_MS: '50' } }));
    const client = await stream(target.url);

    const first = await client.next((f) => f.comment === 'heartbeat', 1000);
    const second = await client.next((f) => f.comment === 'heartbeat', 1000);

    expect(first.comment).toBe('heartbeat');
    expect(second.comment).toBe('heartbeat');
  });

  it('resumes after Last-Event-ID with exactly the events the client missed', async () => {
    const deps = makeDeps();
    const target = await serve(deps);
    // The page was open (so the feed buffers), then the connection dropped.
    const earlier = await stream(target.url);
    await earlier.nextEvent();
    earlier.close();
    for (const id of ['evt_r1', 'evt_r2', 'evt_r3']) await postWebhook(target, JSON.stringify({ id }), { id }).expect(200);
    await deps.processor.onIdle();
    const last = deps.feed.lastSeq; // 3 received + 3 updated
    expect(last).toBe(6);

    const client = await stream(target.url, { 'last-event-id': '2' });

    const replayed = [];
    for (let seq = 3; seq <= last; seq += 1) replayed.push(await client.nextEvent());
    expect(replayed.map((f) => Number(f.id))).toEqual([3, 4, 5, 6]);
    expect(replayed.map((f) => f.event)).toEqual(['received', 'updated', 'received', 'updated']);
    expect(JSON.parse(replayed[0]!.data!).id).toBe('evt_r2');
    const ready = await client.nextEvent();
    expect(ready).toMatchObject({ event: 'ready', id: String(last) });
  });

  it('tells a client to reload when its Last-Event-ID is older than the buffer', async () => {
    const deps = makeDeps({ feed: createHistoryFeed({ bufferEvents: 2 }) });
    const target = await serve(deps);
    for (const id of ['evt_o1', 'evt_o2', 'evt_o3']) await postWebhook(target, JSON.stringify({ id }), { id }).expect(200);
    await deps.processor.onIdle();

    const client = await stream(target.url, { 'last-event-id': '1' });

    const reset = await client.nextEvent();
    expect(reset.event).toBe('reset');
    expect(reset.id).toBe(String(deps.feed.lastSeq));
  });

  it('tells a client from before a restart (an id the server never issued) to reload', async () => {
    const target = await serve(makeDeps());

    const client = await stream(target.url, { 'last-event-id': '4242' });

    expect((await client.nextEvent()).event).toBe('reset');
  });

  it('drops a reader that stops reading once its backlog passes STREAM_MAX_BUFFERED_BYTES', async () => {
    const { logger, lines } = memoryLogger('warn');
    const deps = makeDeps({ logger, env: { STREAM_MAX_BUFFERED_BYTES: '65536' } });
    const target = await serve(deps);
    const before = deps.feed.subscriberCount;
    const socket = connect(Number(new URL(target.url).port), '127.0.0.1');
    socket.write('GET /webhook/history/stream HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n');
    socket.pause(); // never reads again
    for (let i = 0; i < 200 && deps.feed.subscriberCount === before; i += 1) await new Promise((r) => setTimeout(r, 5));
    expect(deps.feed.subscriberCount).toBe(before + 1);

    // 256 KiB per event: the kernel's socket buffers fill after a few MB, then the server-side backlog grows.
    const big = 'x'.repeat(256 * 1024);
    let published = 0;
    while (deps.feed.subscriberCount > before && published < 400) {
      deps.feed.publish('received', `evt_big_${published}`, { id: `evt_big_${published}`, payload: big });
      published += 1;
    }
    socket.destroy();

    expect(deps.feed.subscriberCount).toBe(before);
    expect(published).toBeLessThan(400);
    expect(lines().some((line) => line.includes('history stream client dropped'))).toBe(true);
  });

  it('ends every stream when the feed closes, as the server does on shutdown', async () => {
    const deps = makeDeps();
    const target = await serve(deps);
    const client = await stream(target.url);
    await client.nextEvent();

    deps.feed.close();

    await expect(client.ended).resolves.toBeUndefined();
  });
});
