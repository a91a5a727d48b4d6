import { once } from 'node:events';
import { Agent, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app';
import type { AppDeps } from '../../src/deps';
import type { Processor } from '../../src/processing/processor';
import { createStorage } from '../../src/storage/create-storage';
import { fakeClock, makeDeps, testConfig } from '../helpers/deps';
import { openPoisonedDatabase, POISON_COMMIT, POISON_WRITE } from '../helpers/poisoned-db';
import { nativeHeaders } from '../helpers/sign';

// STORE=sqlite on a temporary file, through HTTP: many webhooks at once, as a sender's burst arrives.
let dir: string;
let server: Server | undefined;
let deps: AppDeps;
const queued: string[] = [];
// Nothing is processed in these tests (processing outcomes would add commits of their own): the queue is a
// stand-in that records what was handed to it.
const processor: Processor = { enqueue: (event) => queued.push(event.id), pending: () => queued.length, onIdle: async () => undefined };
const clock = fakeClock();

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webhooks-receive-batch-'));
  queued.length = 0;
  const env = { STORE: 'sqlite' };
  const storage = createStorage(testConfig(env), { database: openPoisonedDatabase(join(dir, 'webhooks.db')) });
  deps = makeDeps({ env, storage, processor, now: clock.now });
  server = createApp(deps).listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  deps.storage.close();
  rmSync(dir, { recursive: true, force: true });
});

// Kept-alive connections, opened before the burst (see `connect`), so the requests of a burst are written
// at once, as from a sender with a pool of connections.
let agent: Agent;
beforeEach(() => {
  agent = new Agent({ keepAlive: true, maxSockets: 64 });
});
afterEach(() => agent.destroy());

async function connect(connections: number): Promise<void> {
  await Promise.all(Array.from({ length: connections }, () => request(server!).get('/healthz').agent(agent)));
}

function post(id: string, event = 'user.created'): request.Test {
  const body = JSON.stringify({ id });
  return request(server!).post('/webhook/receive').agent(agent).set(nativeHeaders(body, { nowMs: clock.now(), id, event })).send(body);
}

const ids = (n: number, prefix = 'evt'): string[] => Array.from({ length: n }, (_, i) => `${prefix}_${i}`);
const acceptedIds = async (): Promise<string[]> => (await deps.history.list({ limit: 500, status: 'accepted' })).items.map((e) => e.id);

describe('POST /webhook/receive with STORE=sqlite under concurrency', () => {
  it('answers 50 concurrent webhooks 200, each in the history once, with far fewer commits than webhooks', async () => {
    await connect(50);
    const before = deps.storage.commits;
    const sent = ids(50);
    const responses = await Promise.all(sent.map((id) => post(id)));
    expect(responses.map((res) => res.status)).toEqual(Array(50).fill(200));
    expect((await acceptedIds()).sort()).toEqual([...sent].sort());
    // Written at once over open connections, they arrive in one or a few turns of the event loop.
    expect(deps.storage.commits - before).toBeLessThanOrEqual(10);
    expect(queued.sort()).toEqual([...sent].sort());
  });

  it('reports its commits in /metrics', async () => {
    await Promise.all(ids(3).map((id) => post(id)));
    const metrics = await request(server!).get('/metrics');
    expect(metrics.text).toContain(`webhook_storage_commits_total ${deps.storage.commits}\n`);
    expect(deps.storage.commits).toBeGreaterThan(0);
  });

  it('answers 503 to the webhook whose write fails and 200 to the others sent with it', async () => {
    const sent = ids(10);
    const responses = await Promise.all([...sent.map((id) => post(id)), post('evt_full', POISON_WRITE)]);
    expect(responses.map((res) => res.status)).toEqual([...Array(10).fill(200), 503]);
    expect(responses[10]!.body.error.code).toBe('storage.unavailable');
    expect((await acceptedIds()).sort()).toEqual([...sent].sort());
    expect(await deps.dedupe.lookup(['id:evt_full'], clock.now())).toBeUndefined();
    expect(queued).not.toContain('evt_full');
  });

  it('answers 503 storage.unavailable to every webhook whose batch failed to commit, and keeps no trace of them', async () => {
    const published: string[] = [];
    deps.feed.subscribe({ onEvent: (event) => event.name === 'received' && published.push(event.entryId!) });
    await connect(21);
    const sent = ids(20);
    const responses = await Promise.all([post('evt_poison', POISON_COMMIT), ...sent.map((id) => post(id))]);
    const answered = (status: number): string[] => ['evt_poison', ...sent].filter((_, i) => responses[i]!.status === status).sort();
    expect(responses[0]!.status).toBe(503);
    expect(responses[0]!.body.error.code).toBe('storage.unavailable');
    expect(answered(200).length + answered(503).length).toBe(21);
    expect(answered(503).length).toBeGreaterThan(1); // others shared the poisoned batch, and its fate
    // Those acknowledged are kept, published and processed; those refused are nowhere, so their retry is accepted.
    expect((await acceptedIds()).sort()).toEqual(answered(200));
    expect(published.sort()).toEqual(answered(200));
    expect(queued.sort()).toEqual(answered(200));
    for (const id of answered(503)) expect(await deps.dedupe.lookup([`id:${id}`], clock.now())).toBeUndefined();
    expect(await deps.history.counts()).toEqual({ accepted: answered(200).length, rejected: 0 });
    const retry = await post('evt_poison');
    expect(retry.body).toEqual({ received: true, id: 'evt_poison', duplicate: false });
  });

  it('never answers a duplicate 200 for an event whose batch failed to commit', async () => {
    const responses = await Promise.all([post('evt_twice', POISON_COMMIT), post('evt_twice', POISON_COMMIT)]);
    expect(responses.map((res) => res.status)).toEqual([503, 503]);
    expect(await deps.history.get('evt_twice')).toBeUndefined();
  });

  it('answers the same event sent twice at once as one acceptance and one duplicate, stored once', async () => {
    const responses = await Promise.all([post('evt_twice'), post('evt_twice')]);
    expect(responses.map((res) => res.body.duplicate).sort()).toEqual([false, true]);
    expect(await acceptedIds()).toEqual(['evt_twice']);
    expect((await deps.history.get('evt_twice'))!.duplicates).toBe(1);
  });
});
