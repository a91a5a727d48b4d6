import { TEST_SECRET } from '../helpers/deps';
import { describePostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { nativeHeaders } from '../helpers/sign';
import { freePort, spawnServer, type SpawnedServer } from '../helpers/spawn-server';
import { openStream } from '../helpers/sse';

// Two real server processes on one PostgreSQL database, as behind a load balancer (docs/scaling.md).
describePostgres('STORE=postgres: two instances, one database', () => {
  let pg: TestPostgres;
  const servers: SpawnedServer[] = [];

  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 60_000);
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.kill9().catch(() => undefined);
  });
  afterAll(() => pg?.stop());

  async function twoInstances(): Promise<[SpawnedServer, SpawnedServer]> {
    const url = await pg.createDatabase();
    // HISTORY_LIMIT: every event of the load test is kept, so "every 200 is in the history" can be checked.
    const env = { STORE: 'postgres', DATABASE_URL: url, WEBHOOK_SECRET: TEST_SECRET, PG_POOL_MAX: '4', HISTORY_LIMIT: '100000' };
    // One after the other: the second finds the schema migrated (the advisory lock makes either order safe).
    for (let i = 0; i < 2; i += 1) servers.push(await spawnServer(await freePort(), env, 60_000));
    return [servers[0]!, servers[1]!];
  }

  const post = (server: SpawnedServer, body: string, headers: Record<string, string>): Promise<Response> =>
    fetch(`${server.url}/webhook/receive`, { method: 'POST', headers, body });

  /** Every accepted entry's id, newest first, page after page. */
  const historyIds = async (server: SpawnedServer): Promise<string[]> => {
    const ids: string[] = [];
    let cursor = '';
    for (;;) {
      const res = await fetch(`${server.url}/webhook/history?limit=500&status=accepted${cursor}`);
      const page = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
      ids.push(...page.items.map((e) => e.id));
      if (page.nextCursor === null) return ids;
      cursor = `&cursor=${page.nextCursor}`;
    }
  };

  it('stores one of 20 identical webhooks posted at once to both, and answers the other 19 as duplicates of its id', async () => {
    const [a, b] = await twoInstances();
    const body = JSON.stringify({ order: 42 });
    const headers = nativeHeaders(body, { nowMs: Date.now(), id: 'evt_cluster_same' });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(i % 2 === 0 ? a : b, body, headers)));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { id: string; duplicate: boolean }[];
    expect(bodies.filter((x) => !x.duplicate)).toHaveLength(1);
    expect(new Set(bodies.map((x) => x.id))).toEqual(new Set(['evt_cluster_same']));
    for (const server of [a, b]) {
      const entry = (await (await fetch(`${server.url}/webhook/history/evt_cluster_same`)).json()) as { duplicates: number };
      expect(entry.duplicates).toBe(19);
      expect(await historyIds(server)).toEqual(['evt_cluster_same']);
    }
  }, 120_000);

  it('shows a webhook received by one instance in the other\'s history and on its live stream', async () => {
    const [a, b] = await twoInstances();
    const stream = await openStream(b.url, '/webhook/history/stream');
    try {
      const body = JSON.stringify({ hello: 'from a' });
      const res = await post(a, body, nativeHeaders(body, { nowMs: Date.now(), id: 'evt_from_a' }));
      expect(res.status).toBe(200);
      const frame = await stream.next((f) => f.event === 'received', 10_000);
      expect(JSON.parse(frame.data!)).toMatchObject({ id: 'evt_from_a', payload: { hello: 'from a' } });
      expect(await historyIds(b)).toEqual(['evt_from_a']);
    } finally {
      stream.close();
    }
  }, 120_000);

  it('answers no 200 for an event it lost while the database is stopped under load, and recovers without a restart', async () => {
    if (!pg.pausable) return; // TEST_DATABASE_URL: a server this test cannot stop
    const [a, b] = await twoInstances();
    const acknowledged: string[] = [];
    const statuses = new Map<number, number>();
    let n = 0;
    let stop = false;
    // Four clients posting distinct webhooks in turn to both instances until told to stop.
    const client = async (): Promise<void> => {
      while (!stop) {
        n += 1;
        const id = `evt_load_${n}`;
        const body = JSON.stringify({ n });
        const res = await post(n % 2 === 0 ? a : b, body, nativeHeaders(body, { nowMs: Date.now(), id })).catch(() => undefined);
        const status = res?.status ?? 0;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 200) acknowledged.push(((await res!.json()) as { id: string }).id);
        else await res?.arrayBuffer();
      }
    };
    const load = Promise.all([client(), client(), client(), client()]);
    const waitFor = async (check: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`${what} not within 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await waitFor(() => acknowledged.length >= 20, '20 acknowledged webhooks');
      pg.pause();
      const before = statuses.get(503) ?? 0;
      try {
        await waitFor(() => (statuses.get(503) ?? 0) >= before + 20, '20 answers 503 while the database is down');
        const health = await fetch(`${a.url}/healthz`);
        expect(health.status).toBe(503);
        expect(((await health.json()) as { error: { code: string } }).error.code).toBe('storage.unavailable');
      } finally {
        pg.resume();
      }
      const afterResume = acknowledged.length;
      await waitFor(() => acknowledged.length >= afterResume + 40, '40 acknowledged webhooks after the restart');
    } finally {
      stop = true;
      await load;
    }

    expect([...statuses.keys()].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    for (const server of [a, b]) expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const stored = new Set(await historyIds(a));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    expect(new Set(await historyIds(b))).toEqual(stored);
  }, 180_000);
});
