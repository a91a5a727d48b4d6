import request from 'supertest';
import { createApp } from '../../../src/app';
import { createHistoryFeed, type FeedEvent } from '../../../src/history/feed';
import { createProcessor } from '../../../src/processing/processor';
import { HandlerRegistry } from '../../../src/processing/registry';
import { openPostgres } from '../../../src/storage/postgres/database';
import { MAINTENANCE_LOCK_KEY, PostgresStorage, type PostgresStorageOptions } from '../../../src/storage/postgres/storage';
import { historyEntry } from '../../contract/history-store';
import { eventually } from '../../helpers/async';
import { fakeClock, makeDeps, memoryLogger, testConfig } from '../../helpers/deps';
import { describePostgres, startTestPostgres, type TestPostgres } from '../../helpers/postgres';
import { nativeHeaders } from '../../helpers/sign';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
/** The id `accept` stores an event under when another scheme's entry holds its own (none in these tests). */
const freshId = (): string => 'evt_fresh';

describePostgres('PostgreSQL storage: instances sharing one database', () => {
  let server: TestPostgres;
  const open: PostgresStorage[] = [];
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    server = await startTestPostgres();
  }, 60_000);
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  afterAll(() => server?.stop());

  async function instance(url: string, env: Record<string, string> = {}, options: Partial<PostgresStorageOptions> = {}): Promise<PostgresStorage> {
    const config = testConfig({ STORE: 'postgres', DATABASE_URL: url, ...env });
    const storage = new PostgresStorage(await openPostgres(url, { poolMax: 4 }), config, { url, ...options });
    open.push(storage);
    return storage;
  }

  it('stores one of 20 concurrent accepts of one event split across two instances, and answers the rest as duplicates of its id', async () => {
    const url = await server.createDatabase();
    const [a, b] = [await instance(url), await instance(url)];
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).history.accept(historyEntry(`evt_try${i}`), Buffer.from('{}'), ['id:native:evt_same', 'sig:same'], T0, freshId)),
    );
    const stored = outcomes.flatMap((o, i) => (o.stored ? [`evt_try${i}`] : []));
    expect(stored).toHaveLength(1);
    expect(outcomes.filter((o) => !o.stored).map((o) => (o.stored ? undefined : o.duplicateOf))).toEqual(Array(19).fill(stored[0]));
    expect(await a.history.counts()).toEqual({ accepted: 1, rejected: 0 });
    expect((await b.history.get(stored[0]!))!.duplicates).toBe(19);
  });

  it('stores both of one id sent to two instances at once by two schemes, the second under a fresh id', async () => {
    const url = await server.createDatabase();
    const [a, b] = [await instance(url), await instance(url)];
    const outcomes = await Promise.all([
      a.history.accept(historyEntry('evt_both', { scheme: 'native', payload: 'n' }), Buffer.from('{}'), ['native:id:evt_both'], T0, () => 'evt_fresh_a'),
      b.history.accept(historyEntry('evt_both', { scheme: 'github', payload: 'g' }), Buffer.from('{}'), ['github:id:evt_both'], T0, () => 'evt_fresh_b'),
    ]);
    expect(outcomes.every((o) => o.stored)).toBe(true);
    const ids = outcomes.map((o) => (o.stored ? o.id : ''));
    expect(ids).toContain('evt_both');
    expect(ids.filter((id) => id !== 'evt_both')).toHaveLength(1);
    const entries = await Promise.all(ids.map((id) => a.history.get(id)));
    expect(entries.map((e) => e?.payload)).toEqual(['n', 'g']);
    expect(await a.history.counts()).toEqual({ accepted: 2, rejected: 0 });
  });

  it('hands an event to another instance once the first stops renewing its lease, and records only the new holder\'s outcome', async () => {
    const url = await server.createDatabase();
    const a = await instance(url, {}, { leaseMs: 300 });
    const b = await instance(url, {}, { leaseMs: 300 });
    await a.history.accept(historyEntry('evt_1'), Buffer.from('{"n":1}'), ['id:native:evt_1'], T0, freshId);
    expect(await b.leases.claim(b.pool)).toEqual([]); // held by a

    // a "dies": it renews nothing; b takes the event over once the lease has expired.
    const taken = await eventually(async () => {
      const events = await b.leases.claim(b.pool);
      return events.length > 0 ? events : undefined;
    });
    expect(taken.map((e) => [e.id, e.rawBody.toString()])).toEqual([['evt_1', '{"n":1}']]);
    expect(await a.history.setProcessing('evt_1', { state: 'failed', error: 'late' })).toBeUndefined();
    expect(await b.history.setProcessing('evt_1', { state: 'done', durationMs: 3 })).toEqual({ id: 'evt_1', duplicates: 0, processing: { state: 'done', durationMs: 3 } });
    expect((await a.history.get('evt_1'))!.processing).toEqual({ state: 'done', durationMs: 3 });
    expect(await a.leases.claim(a.pool)).toEqual([]);
  });

  it('runs an event another instance abandoned through this instance\'s handler queue once its lease has expired', async () => {
    const url = await server.createDatabase();
    const a = await instance(url, {}, { leaseMs: 300 });
    const b = await instance(url, {}, { leaseMs: 300 });
    await a.history.accept(historyEntry('evt_1'), Buffer.from('{"n":1}'), ['id:native:evt_1'], T0, freshId);
    const handled: string[] = [];
    const registry = new HandlerRegistry().onAny((event) => {
      handled.push(`${event.id} ${event.rawBody.toString()}`);
    });
    const processor = createProcessor({ registry, history: b.history, logger: memoryLogger().logger, now: Date.now, concurrency: 2, timeoutMs: 5_000 });

    await eventually(async () => ((await b.reclaim(processor)) > 0 ? true : undefined));
    await processor.onIdle();
    expect(handled).toEqual(['evt_1 {"n":1}']);
    await eventually(async () => ((await b.history.get('evt_1'))!.processing?.state === 'done' ? true : undefined));
    expect(await a.leases.claim(a.pool)).toEqual([]);
    expect(await b.reclaim(processor)).toBe(0);
  });

  it('keeps an event with the instance that renews its lease', async () => {
    const url = await server.createDatabase();
    // Renewed every 300 ms for more than twice the lease: a gap of a whole lease between two renewals would
    // take a 1.2 s stall of this process.
    const a = await instance(url, {}, { leaseMs: 1500 });
    const b = await instance(url, {}, { leaseMs: 1500 });
    await a.history.accept(historyEntry('evt_1'), Buffer.from('{}'), ['id:native:evt_1'], T0, freshId);
    for (let i = 0; i < 12; i += 1) {
      expect(await a.leases.renew(a.pool)).toBe(1);
      expect(await b.leases.claim(b.pool)).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  });

  it('publishes what another instance writes to this instance\'s feed, and nothing of its own writes twice', async () => {
    const url = await server.createDatabase();
    const [a, b] = [await instance(url), await instance(url)];
    const feed = createHistoryFeed();
    const seen: FeedEvent[] = [];
    feed.subscribe({ onEvent: (event) => seen.push(event) });
    stops.push(a.startMaintenance({ now: () => T0, logger: memoryLogger().logger, feed }));
    await eventually(async () => (a.follower?.listening ? true : undefined));

    await a.history.accept(historyEntry('evt_a'), Buffer.from('{}'), ['id:native:evt_a'], T0, freshId);
    await b.history.accept(historyEntry('evt_b', { payload: { from: 'b' } }), Buffer.from('{}'), ['id:native:evt_b'], T0, freshId);
    await b.history.add(historyEntry('rej_b', { status: 'rejected' }));
    await b.history.accept(historyEntry('evt_b2'), Buffer.from('{}'), ['id:native:evt_b'], T0, freshId);
    await b.history.setProcessing('evt_b', { state: 'done', durationMs: 1 });
    await eventually(async () => (seen.length >= 4 ? true : undefined));
    await a.follower!.idle();

    expect(seen.map((e) => [e.name, e.entryId])).toEqual([
      ['received', 'evt_b'],
      ['rejected', 'rej_b'],
      ['updated', 'evt_b'],
      ['updated', 'evt_b'],
    ]);
    expect((seen[0]!.data as { payload: unknown }).payload).toEqual({ from: 'b' });
    expect(seen.every((e) => e.remote === true)).toBe(true); // FORWARD_URL leaves them to b
    expect(seen[3]!.data).toEqual({ id: 'evt_b', duplicates: 1, processing: { state: 'done', durationMs: 1 } });
  });

  it('listens again by itself once the database is back, and publishes the other instance\'s writes as before', async () => {
    if (!server.pausable) return; // TEST_DATABASE_URL: a server this test cannot stop
    const url = await server.createDatabase();
    const [a, b] = [await instance(url), await instance(url)];
    const feed = createHistoryFeed();
    const seen: string[] = [];
    feed.subscribe({ onEvent: (event) => seen.push(`${event.name} ${event.entryId}`) });
    stops.push(a.startMaintenance({ now: () => T0, logger: memoryLogger().logger, feed }));
    await eventually(async () => (a.follower?.listening ? true : undefined));

    server.pause();
    try {
      await eventually(async () => (a.follower!.listening ? undefined : true));
    } finally {
      server.resume();
    }
    await eventually(async () => (a.follower!.listening ? true : undefined), 30_000);
    await eventually(async () => ((await b.health()).ok ? true : undefined));
    await b.history.accept(historyEntry('evt_after'), Buffer.from('{}'), ['id:native:evt_after'], T0, freshId);
    await eventually(async () => (seen.length > 0 ? true : undefined));
    expect(seen).toEqual(['received evt_after']);
  }, 60_000);

  it('keeps the first value of a setting for every instance (a generated WEBHOOK_SECRET shared by all)', async () => {
    const url = await server.createDatabase();
    const [a, b] = [await instance(url), await instance(url)];
    const [kept, other] = await Promise.all([a.keepSetting('generated_webhook_secret', 'from-a'), b.keepSetting('generated_webhook_secret', 'from-b')]);
    expect(['from-a', 'from-b']).toContain(kept);
    expect(other).toBe(kept);
    expect(await b.keepSetting('generated_webhook_secret', 'later')).toBe(kept);
  });

  it('runs the maintenance job on one instance at a time, under the advisory lock', async () => {
    const url = await server.createDatabase();
    const a = await instance(url, { HISTORY_LIMIT: '2' });
    for (const id of ['a', 'b', 'c', 'd']) await a.history.add(historyEntry(id));
    const holder = await a.pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MAINTENANCE_LOCK_KEY]);
      expect(await a.maintain(T0)).toBeUndefined();
      expect(await a.history.counts()).toEqual({ accepted: 4, rejected: 0 });
      await holder.query('SELECT pg_advisory_unlock($1)', [MAINTENANCE_LOCK_KEY]);
    } finally {
      holder.release();
    }
    expect(await a.maintain(T0)).toEqual({ dedupe: 0, history: 2 });
    expect((await a.history.list({ limit: 10 })).items.map((e) => e.id)).toEqual(['d', 'c']);
  });

  it('answers 503 storage.unavailable while the database is down, says why on /healthz, and recovers by itself', async () => {
    if (!server.pausable) return; // TEST_DATABASE_URL: a server this test cannot stop
    const url = await server.createDatabase();
    const storage = await instance(url);
    const clock = fakeClock(Date.now());
    const app = createApp(makeDeps({ env: { STORE: 'postgres', DATABASE_URL: url }, storage, now: clock.now }));
    const post = (id: string) => {
      const body = JSON.stringify({ id });
      return request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), id })).send(body);
    };
    expect((await post('evt_before')).status).toBe(200);

    server.pause();
    try {
      const down = await post('evt_down');
      expect(down.status).toBe(503);
      expect(down.body.error.code).toBe('storage.unavailable');
      const health = await request(app).get('/healthz');
      expect(health.status).toBe(503);
      expect(health.body.error.message).toMatch(/cannot be written/);
    } finally {
      server.resume();
    }

    await eventually(async () => ((await request(app).get('/healthz')).status === 200 ? true : undefined));
    const retried = await post('evt_down');
    expect(retried.body).toEqual({ received: true, id: 'evt_down', duplicate: false });
    expect((await storage.history.list({ limit: 10 })).items.map((e) => e.id)).toEqual(['evt_down', 'evt_before']);
  }, 60_000);
});
