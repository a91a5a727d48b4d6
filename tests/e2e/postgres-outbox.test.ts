import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describePostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { attemptsMade, freePort, spawnServer, type SpawnedServer } from '../helpers/spawn-server';
import { eventually } from '../helpers/async';
import { TEST_SECRET } from '../helpers/deps';

// The delivery outbox on one PostgreSQL database shared by real server processes (docs/scaling.md): each
// delivery attempted by one instance at a time, retries due in the table and claimed by whichever instance
// polls first, a dead instance's waiting deliveries finished by the other.


type Attempt = { number: number; series: number; statusCode?: number; error?: string };
type Delivery = { id: string; eventId: string; status: string; attempts: Attempt[] };

/** A receiver that counts what it gets per event id; `answer` picks the status of each request. */
async function startSink(answer: (eventId: string, seen: number) => number): Promise<{ url: string; hits: Map<string, number[]>; close(): Promise<void> }> {
  const hits = new Map<string, number[]>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const id = String(req.headers['x-webhook-id']);
    const seen = hits.get(id) ?? [];
    const status = answer(id, seen.length);
    seen.push(status);
    hits.set(id, seen);
    req.resume();
    res.statusCode = status;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Every delivery an instance lists with `status`, page after page. */
async function listAll(server: SpawnedServer, status?: string): Promise<Delivery[]> {
  const all: Delivery[] = [];
  let cursor = '';
  for (;;) {
    const res = await fetch(`${server.url}/webhook/deliveries?limit=500${status ? `&status=${status}` : ''}${cursor}`);
    const page = (await res.json()) as { items: Delivery[]; nextCursor: string | null };
    all.push(...page.items);
    if (page.nextCursor === null) return all;
    cursor = `&cursor=${page.nextCursor}`;
  }
}

const send = async (server: SpawnedServer, url: string, n: number, query = ''): Promise<Response> =>
  fetch(`${server.url}/webhook/send${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url, eventType: 'outbox.test', payload: { n } }),
  });

describePostgres('STORE=postgres: the delivery outbox across instances', () => {
  let pg: TestPostgres;
  const servers: SpawnedServer[] = [];
  const sinks: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 60_000);
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.kill9().catch(() => undefined);
    for (const sink of sinks.splice(0)) await sink.close();
  });
  afterAll(() => pg?.stop());

  async function instances(count: number, env: Record<string, string>): Promise<SpawnedServer[]> {
    const url = await pg.createDatabase();
    const all = { STORE: 'postgres', DATABASE_URL: url, WEBHOOK_SECRET: TEST_SECRET, PG_POOL_MAX: '4', DELIVERY_LIMIT: '100000', ...env };
    const started: SpawnedServer[] = [];
    for (let i = 0; i < count; i += 1) {
      const server = await spawnServer(await freePort(), all, 60_000);
      servers.push(server);
      started.push(server);
    }
    return started;
  }

  it('with one instance, ?wait=true answers after the retry and the retry route starts a new series', async () => {
    const sink = await startSink((_id, seen) => (seen === 0 ? 503 : 200));
    sinks.push(sink);
    const [a] = await instances(1, { SEND_BASE_DELAY_MS: '200', SEND_MAX_DELAY_MS: '400' });
    const res = await send(a!, sink.url, 1, '?wait=true');
    expect(res.status).toBe(200);
    const { delivery } = (await res.json()) as { delivery: Delivery };
    expect(delivery.attempts.map((x) => x.statusCode)).toEqual([503, 200]);

    const retried = await fetch(`${a!.url}/webhook/deliveries/${delivery.id}/retry?wait=true`, { method: 'POST' });
    expect(retried.status).toBe(200);
    const again = ((await retried.json()) as { delivery: Delivery }).delivery;
    expect(again.status).toBe('delivered');
    expect(again.attempts.map((x) => [x.number, x.series, x.statusCode])).toEqual([
      [1, 1, 503],
      [2, 1, 200],
      [3, 2, 200],
    ]);
    expect(sink.hits.get(delivery.eventId)).toEqual([503, 200, 200]);
  }, 120_000);

  it('delivers each of 1,000 deliveries sent to two instances exactly once, retries included', async () => {
    const total = 1000;
    // Every 5th event fails its first attempt: its retry is due in the table, for whichever instance polls first.
    const fifth = (id: string): boolean => [...id].reduce((sum, c) => sum + c.charCodeAt(0), 0) % 5 === 0;
    const sink = await startSink((id, seen) => (seen === 0 && fifth(id) ? 503 : 200));
    sinks.push(sink);
    const [a, b] = await instances(2, { SEND_BASE_DELAY_MS: '200', SEND_MAX_DELAY_MS: '400', SEND_CONCURRENCY: '20' });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < total) {
        const n = next++;
        const res = await send(n % 2 === 0 ? a! : b!, sink.url, n);
        expect(res.status).toBe(202);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));

    const delivered = await eventually(
      async () => {
        const items = await listAll(b!, 'delivered');
        return items.length === total ? items : undefined;
      },
      120_000,
      'every delivery delivered',
    );
    expect(new Set(delivered.map((d) => d.eventId)).size).toBe(total);
    const successes = [...sink.hits.values()].map((statuses) => statuses.filter((s) => s === 200).length);
    expect(successes).toHaveLength(total);
    expect(successes.every((count) => count === 1)).toBe(true);
    // Every request the sink got is an attempt recorded, made by one of the two.
    const requests = [...sink.hits.values()].reduce((sum, statuses) => sum + statuses.length, 0);
    const recorded = delivered.reduce((sum, d) => sum + d.attempts.length, 0);
    expect(recorded).toBe(requests);
    const [byA, byB] = [await attemptsMade(a!), await attemptsMade(b!)];
    expect(byA + byB).toBe(requests);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    expect((await listAll(a!, 'pending')).length).toBe(0);
  }, 240_000);

  it('finishes the deliveries a killed instance left waiting for a retry, each attempt recorded, none delivered twice', async () => {
    const count = 20;
    // The first attempt of each fails; the retry, 3 s later, succeeds.
    const sink = await startSink((_id, seen) => (seen === 0 ? 500 : 200));
    sinks.push(sink);
    const settings = { SEND_BASE_DELAY_MS: '3000', SEND_MAX_DELAY_MS: '3000', SEND_TIMEOUT_MS: '2000' };
    const [a, b] = await instances(2, settings);
    const sent: Delivery[] = [];
    for (let n = 0; n < count; n += 1) sent.push(((await (await send(a!, sink.url, n)).json()) as { delivery: Delivery }).delivery);

    await eventually(
      async () => ((await listAll(a!, 'pending')).filter((d) => d.attempts.length >= 1).length === count ? true : undefined),
      30_000,
      'every first attempt recorded',
    );
    const killedAt = Date.now();
    await a!.kill9();

    // B has no timer for them and was told nothing: it finds them in the table when they are due.
    const done = await eventually(
      async () => {
        const items = await listAll(b!);
        return items.length === count && items.every((d) => d.status !== 'pending') ? items : undefined;
      },
      60_000,
      'every delivery finished by B',
    );
    // Well within one lease (the timeout plus 30 s): the retries were waiting, not claimed, when A died.
    expect(Date.now() - killedAt).toBeLessThan(2000 + 30_000);
    for (const delivery of done) {
      expect(delivery.status).toBe('delivered');
      const hits = sink.hits.get(delivery.eventId)!;
      expect(hits.filter((s) => s === 200)).toHaveLength(1);
      // Every attempt the sink saw is recorded; one in flight at the kill could have been made once more.
      expect(delivery.attempts.map((x) => x.number)).toEqual(delivery.attempts.map((_x, i) => i + 1));
      expect(hits.length - delivery.attempts.length).toBeGreaterThanOrEqual(0);
      expect(hits.length - delivery.attempts.length).toBeLessThanOrEqual(1);
      expect(delivery.attempts.at(-1)!.statusCode).toBe(200);
    }
    expect(new Set(done.map((d) => d.id))).toEqual(new Set(sent.map((d) => d.id)));
    expect(await attemptsMade(b!)).toBeGreaterThan(0);
  }, 180_000);
});
