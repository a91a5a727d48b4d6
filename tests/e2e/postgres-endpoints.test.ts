import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '../helpers/async';
import { TEST_SECRET } from '../helpers/deps';
import { nativeVerifies, standardVerifies } from '../helpers/endpoints';
import { describePostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres';
import type { FetchCall } from '../helpers/send-fakes';
import { attemptsMade, freePort, killSpawned, spawnServer, type SpawnedServer } from '../helpers/spawn-server';

// Provider mode on two real server processes sharing one PostgreSQL database (docs/endpoints.md, "Several
// instances"): endpoints, secrets, rotations and disabling made on one instance hold for the other's events and
// deliveries, whichever instance claims them, and survive a restart.


/** A receiver on 127.0.0.1 that keeps every request it gets, as the `FetchCall` the verifying helpers take. */
async function startSink(): Promise<{ url: string; calls: FetchCall[]; status: { value: number }; close(): Promise<void> }> {
  const calls: FetchCall[] = [];
  const status = { value: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
      calls.push({ url: req.url ?? '', init: {}, headers, body: Buffer.concat(chunks) });
      res.statusCode = status.value;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    status,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// The answers' JSON comes in several shapes, each read by the assertions that follow.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const api = async (server: SpawnedServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
};

type Published = { eventId: string; duplicate: boolean; deliveries: { deliveryId: string; endpointId: string }[] };

describePostgres('STORE=postgres: endpoints shared by two instances', () => {
  let pg: TestPostgres;
  let sink: Awaited<ReturnType<typeof startSink>>;
  const servers: SpawnedServer[] = [];

  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 60_000);
  beforeEach(async () => {
    sink = await startSink();
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.kill9().catch(() => undefined);
    await killSpawned();
    await sink.close();
  });
  afterAll(() => pg?.stop());

  const start = async (url: string, env: Record<string, string> = {}): Promise<SpawnedServer> => {
    const server = await spawnServer(await freePort(), { STORE: 'postgres', DATABASE_URL: url, WEBHOOK_SECRET: TEST_SECRET, PG_POOL_MAX: '4', ...env }, 60_000);
    servers.push(server);
    return server;
  };

  const publish = async (server: SpawnedServer, body: Record<string, unknown>): Promise<Published> => {
    const res = await api(server, 'POST', '/webhook/events', body);
    expect(res.status).toBe(202);
    return res.body as Published;
  };

  /** Waits until every delivery has ended on the shared outbox; each must have been delivered. */
  const delivered = async (server: SpawnedServer, events: readonly Published[]): Promise<void> => {
    for (const d of events.flatMap((e) => e.deliveries)) {
      const record = await eventually(
        async () => {
          const { body } = await api(server, 'GET', `/webhook/deliveries/${d.deliveryId}`);
          return body.status === 'pending' ? undefined : body;
        },
        30_000,
        `delivery ${d.deliveryId}`,
      );
      expect({ id: d.deliveryId, status: record.status, error: record.error }).toEqual({ id: d.deliveryId, status: 'delivered', error: null });
    }
  };

  /** What the sink got for one event at one endpoint's path. */
  const received = (path: string, eventId: string): FetchCall[] =>
    sink.calls.filter((c) => c.url === path && (c.headers.get('x-webhook-id') ?? c.headers.get('webhook-id')) === eventId);

  it('signs, rotates and disables across instances, whichever instance claims the delivery', async () => {
    const url = await pg.createDatabase();
    const a = await start(url);
    const b = await start(url);
    const native = (await api(a, 'POST', '/webhook/endpoints', { url: `${sink.url}/native`, scheme: 'native' })).body;
    const standard = (await api(a, 'POST', '/webhook/endpoints', { url: `${sink.url}/standard`, scheme: 'standard', eventTypes: ['invoice.*'] })).body;
    expect((await api(b, 'GET', `/webhook/endpoints/${native.endpoint.id}`)).body).toEqual(native.endpoint);

    // Events posted to B, then to A: each instance claims what it was posted at once (the other only polls every
    // second), so both make attempts; each delivery is signed with its endpoint's own secret wherever it runs.
    const events: Published[] = [];
    for (const [i, server] of [b, b, b, b, b, a, a, a, a, a].entries()) events.push(await publish(server, { eventType: 'invoice.paid', payload: { i } }));
    for (const e of events) expect(e.deliveries.map((d) => d.endpointId)).toEqual([native.endpoint.id, standard.endpoint.id]);
    await delivered(a, events);
    for (const e of events) {
      const [toNative] = received('/native', e.eventId);
      const [toStandard] = received('/standard', e.eventId);
      expect(nativeVerifies(native.secret, toNative!)).toBe(true);
      expect(nativeVerifies(standard.secret, toNative!)).toBe(false);
      expect(standardVerifies(standard.secret, toStandard!)).toBe(true);
    }
    expect(await attemptsMade(a)).toBeGreaterThan(0);
    expect(await attemptsMade(b)).toBeGreaterThan(0);

    // Rotated on B: A's deliveries carry a signature for each secret during the grace.
    const rotated = (await api(b, 'POST', `/webhook/endpoints/${native.endpoint.id}/secret/rotate`)).body as { secret: string };
    expect((await api(a, 'GET', `/webhook/endpoints/${native.endpoint.id}/secret`)).body.secret).toBe(rotated.secret);
    const afterRotation = await publish(a, { eventType: 'user.created', payload: { rotated: true } });
    expect(afterRotation.deliveries.map((d) => d.endpointId)).toEqual([native.endpoint.id]);
    await delivered(b, [afterRotation]);
    const [signedTwice] = received('/native', afterRotation.eventId);
    expect(nativeVerifies(rotated.secret, signedTwice!)).toBe(true);
    expect(nativeVerifies(native.secret, signedTwice!)).toBe(true);

    // Disabled on A: B's events skip it at once.
    expect((await api(a, 'PATCH', `/webhook/endpoints/${native.endpoint.id}`, { enabled: false })).status).toBe(200);
    const afterDisable = await publish(b, { eventType: 'invoice.paid', payload: {} });
    expect(afterDisable.deliveries.map((d) => d.endpointId)).toEqual([standard.endpoint.id]);

    // The same eventId posted to both at once: one of them creates the deliveries, the other answers with them.
    const same = await Promise.all([a, b, a, b].map((server) => publish(server, { eventType: 'invoice.paid', payload: {}, eventId: 'evt_same' })));
    expect(same.filter((e) => !e.duplicate)).toHaveLength(1);
    expect(new Set(same.map((e) => JSON.stringify(e.deliveries))).size).toBe(1);
    await delivered(a, [same[0]!, afterDisable]);
    expect(received('/standard', 'evt_same')).toHaveLength(1);
    expect(received('/native', 'evt_same')).toHaveLength(0);
  }, 180_000);

  it('keeps the endpoints, their secrets and their events across a restart (kill -9)', async () => {
    const url = await pg.createDatabase();
    const a = await start(url);
    const created = (await api(a, 'POST', '/webhook/endpoints', { appId: 'acme', url: `${sink.url}/native` })).body;
    const rotated = (await api(a, 'POST', `/webhook/endpoints/${created.endpoint.id}/secret/rotate`)).body as { secret: string };
    const before = await publish(a, { appId: 'acme', eventType: 'user.created', payload: {}, eventId: 'evt_before' });
    await delivered(a, [before]);
    const stats = (server: SpawnedServer, n: number) => async () =>
      (await api(server, 'GET', `/webhook/endpoints/${created.endpoint.id}/stats`)).body.lastHour.delivered === n ? true : undefined;
    await eventually(stats(a, 1), 30_000, 'the outcome in the stats');
    await a.kill9();

    const again = await start(url);
    expect((await api(again, 'GET', '/webhook/endpoints?appId=acme')).body.items).toEqual([{ ...created.endpoint, lastSuccessAt: expect.any(String) }]);
    expect((await api(again, 'GET', `/webhook/endpoints/${created.endpoint.id}/secret`)).body.secret).toBe(rotated.secret);
    // The event is remembered: posting its id again creates nothing.
    expect(await publish(again, { appId: 'acme', eventType: 'user.created', payload: {}, eventId: 'evt_before' })).toEqual({ ...before, duplicate: true });
    const after = await publish(again, { appId: 'acme', eventType: 'user.created', payload: {} });
    await delivered(again, [after]);
    const [call] = received('/native', after.eventId);
    expect(nativeVerifies(rotated.secret, call!)).toBe(true);
    expect(nativeVerifies(created.secret, call!)).toBe(true);
    await eventually(stats(again, 2), 30_000, 'both outcomes in the stats');
  }, 180_000);

  it('finishes a recovery job on the other instance when the instance running it is killed', async () => {
    const url = await pg.createDatabase();
    // One attempt per delivery, and a short timeout: the claims of the killed instance run out sooner.
    const env = { SEND_MAX_ATTEMPTS: '1', SEND_TIMEOUT_MS: '1000' };
    const a = await start(url, env);
    const b = await start(url, env);
    const { endpoint } = (await api(a, 'POST', '/webhook/endpoints', { url: `${sink.url}/flaky` })).body;
    const since = new Date(Date.now() - 60_000).toISOString();
    const stats = async (server: SpawnedServer) => (await api(server, 'GET', `/webhook/endpoints/${endpoint.id}/stats`)).body.lastHour as { delivered: number; failed: number };
    sink.status.value = 500;
    const total = 400; // 8 batches of the job: the kill lands while it runs
    for (let i = 0; i < total; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => publish((i + j) % 2 === 0 ? a : b, { eventType: 'order.paid', payload: { n: i + j } })));
    }
    await eventually(async () => ((await stats(b)).failed === total ? true : undefined), 60_000, `${total} failed deliveries`);

    sink.status.value = 200;
    const started = await api(a, 'POST', `/webhook/endpoints/${endpoint.id}/recover`, { since });
    expect(started.status).toBe(202);
    await a.kill9();

    // B reports the job's progress, and (its worker dead) takes it over once its lease has ended.
    const jobPath = `/webhook/endpoints/${endpoint.id}/recover/${started.body.job.id}`;
    expect((await api(b, 'GET', jobPath)).body.job).toMatchObject({ id: started.body.job.id, total });
    const job = await eventually(
      async () => {
        const { body } = await api(b, 'GET', jobPath);
        return body.job.status === 'done' ? body.job : undefined;
      },
      60_000,
      'the recovery job done',
    );
    // A batch cut short by the kill is sent again: what A had re-sent and not yet attempted is skipped (pending).
    expect(job.resent + job.skipped).toBe(total);
    expect(job.resent).toBeGreaterThan(0);
    await eventually(async () => ((await stats(b)).delivered === total ? true : undefined), 90_000, `${total} deliveries recovered`);
  }, 240_000);
});
