import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/app';
import type { Sleep } from '../../src/clock';
import type { AppDeps } from '../../src/deps';
import type { FetchLike } from '../../src/sender/sender';
import { openPostgres } from '../../src/storage/postgres/database';
import { PostgresStorage } from '../../src/storage/postgres/storage';
import { expectError } from '../helpers/app';
import { eventually } from '../helpers/async';
import { fakeClock, makeDeps, testConfig } from '../helpers/deps';
import { nativeVerifies, standardVerifies } from '../helpers/endpoints';
import { describePostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { deferred, reply, type FetchCall } from '../helpers/send-fakes';

/**
 * A security review found that a delivery to an endpoint kept the URL and extra headers the endpoint had when
 * the event was posted: a recovery (or a retry pending while the endpoint was edited) sent the customer's
 * rotated credential to the URL they had left, which may belong to someone else by then. Every attempt now
 * reads the endpoint as it is (sender/delivery-target.ts), and the outbox no longer keeps its headers.
 */

const OLD_URL = 'https://old.example/hooks';
const NEW_URL = 'https://new.example/hooks';
const OLD_TOKEN = 'Bearer old-token-8f2c';
const NEW_TOKEN = 'Bearer new-token-41d9';

type Backend = 'memory' | 'sqlite' | 'postgres';

interface Harness {
  readonly app: Express;
  readonly deps: AppDeps;
  readonly calls: FetchCall[];
  /** What the old URL answers (the new one answers 200). */
  readonly oldUrl: { status: number; gate?: Promise<void> };
  /** Has the old URL answer `status` only once the returned function is called (or the harness closes). */
  holdOldUrl(status: number): () => void;
  /** Every stored delivery row as text (the databases' outbox), for what must not be in it. */
  readonly outboxRows: () => Promise<string[]>;
  close(): Promise<void>;
}

/**
 * A sleep that lets a moment of real time pass (so a shared store's polling does not spin), leaving the fake
 * clock where it is: the loop treats the due time it slept for as reached, and a claim's lease never runs out
 * under an attempt the test holds. Nothing depends on how long it takes: the tests order events with gates.
 */
const briefSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, Math.min(ms, 10));
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

async function harness(backend: Backend, pg: TestPostgres | undefined, env: Record<string, string> = {}): Promise<Harness> {
  const clock = fakeClock();
  const calls: FetchCall[] = [];
  const oldUrl: Harness['oldUrl'] = { status: 400 };
  const releases: (() => void)[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init, headers: new Headers(init.headers as Record<string, string>), body: Buffer.from(init.body as Buffer) });
    if (!url.startsWith(OLD_URL)) return reply(200);
    await oldUrl.gate;
    return reply(oldUrl.status);
  };
  let dir: string | undefined;
  let fullEnv = { ...env };
  let storage: PostgresStorage | undefined;
  if (backend === 'sqlite') {
    dir = mkdtempSync(path.join(tmpdir(), 'endpoint-edits-'));
    fullEnv = { ...fullEnv, STORE: 'sqlite', SQLITE_PATH: path.join(dir, 'webhooks.db') };
  }
  if (backend === 'postgres') {
    const url = await pg!.createDatabase();
    fullEnv = { ...fullEnv, STORE: 'postgres', DATABASE_URL: url };
    storage = new PostgresStorage(await openPostgres(url, { poolMax: 4 }), testConfig(fullEnv), { url });
  }
  let ids = 0;
  const deps = makeDeps({
    env: fullEnv,
    storage,
    fetch,
    now: clock.now,
    sleep: briefSleep,
    random: () => 0.5,
    newId: (prefix) => `${prefix}_${String((ids += 1)).padStart(4, '0')}`,
    // Public addresses for every name, so SEND_BLOCK_PRIVATE judges the URL and not this machine's resolver.
    lookup: async () => [{ address: '93.184.216.34', family: 4 }],
  });
  const outboxRows = async (): Promise<string[]> => {
    if (backend === 'sqlite') {
      const db = new Database(fullEnv.SQLITE_PATH!, { readonly: true });
      try {
        return (db.prepare('SELECT * FROM deliveries').all() as Record<string, unknown>[]).map(asText);
      } finally {
        db.close();
      }
    }
    if (storage) return (await storage.pool.query<Record<string, unknown>>('SELECT * FROM deliveries')).rows.map(asText);
    return [];
  };
  return {
    app: createApp(deps),
    deps,
    calls,
    oldUrl,
    outboxRows,
    holdOldUrl(status) {
      const answered = deferred();
      Object.assign(oldUrl, { status, gate: answered.promise });
      const release = (): void => answered.resolve();
      releases.push(release);
      return release;
    },
    async close() {
      for (const release of releases) release(); // a failed test must not leave an attempt waiting for ever
      await deps.sender.stop();
      await deps.storage.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A stored row as JSON, its byte columns (body, sealed secret) as text, so a search sees what they hold. */
const asText = (row: Record<string, unknown>): string =>
  JSON.stringify(Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Buffer.isBuffer(value) ? value.toString('latin1') : value])));

function editedEndpointSuite(backend: Backend, pg: () => TestPostgres | undefined): void {
  let h!: Harness;
  let open: Harness | undefined;
  afterEach(async () => {
    await open?.close();
    open = undefined;
  });

  async function setUp(body: Record<string, unknown> = {}, env: Record<string, string> = {}) {
    h = open = await harness(backend, pg(), env);
    const created = await request(h.app)
      .post('/webhook/endpoints')
      .send({ url: OLD_URL, headers: { authorization: OLD_TOKEN }, ...body });
    expect(created.status).toBe(201);
    return { id: created.body.endpoint.id as string, secret: created.body.secret as string };
  }

  async function post(): Promise<string> {
    const res = await request(h.app).post('/webhook/events').send({ eventType: 'invoice.paid', payload: { invoice: 7 } });
    expect(res.status).toBe(202);
    return res.body.deliveries[0].deliveryId as string;
  }

  const delivery = async (id: string) => (await request(h.app).get(`/webhook/deliveries/${id}`)).body;

  it('recovers to the URL and token the endpoint has now, and never contacts the URL it left', async () => {
    const { id, secret } = await setUp();
    const deliveryId = await post();
    expect((await h.deps.sender.settled(deliveryId)).status).toBe('failed');
    await h.deps.endpoints.idle(); // the endpoint's index knows it failed: what recovery reads
    expect(h.calls.map((c) => [c.url, c.headers.get('authorization')])).toEqual([[OLD_URL, OLD_TOKEN]]);

    // The documented flow: fix the endpoint, enable it, then recover.
    const patched = await request(h.app).patch(`/webhook/endpoints/${id}`).send({ url: NEW_URL, headers: { authorization: NEW_TOKEN }, enabled: true });
    expect(patched.status).toBe(200);
    const createdMs = Date.parse((await delivery(deliveryId)).createdAt);
    const window = { since: new Date(createdMs - 1000).toISOString(), until: new Date(createdMs + 1000).toISOString() };
    const recovery = await request(h.app).post(`/webhook/endpoints/${id}/recover`).send(window);
    expect(recovery.status).toBe(202);
    expect(recovery.body.job.total).toBe(1);
    await h.deps.recoveries.idle();
    expect((await h.deps.sender.settled(deliveryId)).status).toBe('delivered');

    const resent = h.calls.slice(1);
    expect(resent.map((c) => c.url)).toEqual([NEW_URL]);
    expect(resent[0]!.headers.get('authorization')).toBe(NEW_TOKEN);
    expect(nativeVerifies(secret, resent[0]!)).toBe(true);
    expect(h.calls.filter((c) => c.url === OLD_URL)).toHaveLength(1);
    const record = await delivery(deliveryId);
    expect(record.attempts.map((a: { url: string }) => a.url)).toEqual([OLD_URL, NEW_URL]);
  });

  it('sends a retry that was pending when the endpoint moved to the new URL, with its new headers and scheme', async () => {
    // A secret both schemes take (whsec_ and base64 key bytes), so the standard library can verify the retry.
    const { id, secret } = await setUp({ secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}` });
    const answer = h.holdOldUrl(503);
    const deliveryId = await post();
    await eventually(async () => (h.calls.length === 1 ? true : undefined), 10_000, 'the first attempt', 5);
    expect(h.calls[0]!.headers.get('x-webhook-signature')).toMatch(/^sha256=/);

    // Attempt 1 is on its way to the old URL; the endpoint moves before its answer (a retry) comes back.
    const patched = await request(h.app).patch(`/webhook/endpoints/${id}`).send({ url: NEW_URL, headers: { authorization: NEW_TOKEN }, scheme: 'standard' });
    expect(patched.status).toBe(200);
    answer();
    expect((await h.deps.sender.settled(deliveryId)).status).toBe('delivered');

    expect(h.calls.map((c) => c.url)).toEqual([OLD_URL, NEW_URL]);
    const retry = h.calls[1]!;
    expect(retry.headers.get('authorization')).toBe(NEW_TOKEN);
    expect(retry.headers.get('x-webhook-signature')).toBeNull();
    expect(standardVerifies(secret, retry)).toBe(true);
    expect(JSON.parse(retry.body.toString())).toMatchObject({ type: 'invoice.paid', data: { invoice: 7 } });
    const record = await delivery(deliveryId);
    expect(record.attempts).toEqual([
      expect.objectContaining({ number: 1, url: OLD_URL, statusCode: 503 }),
      expect.objectContaining({ number: 2, url: NEW_URL, scheme: 'standard', statusCode: 200 }),
    ]);
  });

  it('fails a retry whose endpoint was deleted meanwhile, sending nothing more', async () => {
    const { id } = await setUp();
    const answer = h.holdOldUrl(503);
    const deliveryId = await post();
    await eventually(async () => (h.calls.length === 1 ? true : undefined), 10_000, 'the first attempt', 5);
    expect((await request(h.app).delete(`/webhook/endpoints/${id}`)).status).toBe(204);
    answer();
    const ended = await h.deps.sender.settled(deliveryId);
    expect(ended).toMatchObject({ status: 'failed', error: 'the endpoint was deleted' });
    expect(h.calls).toHaveLength(1);
  });

  it('refuses a PATCH to a destination the rules refuse, as at creation, and keeps the endpoint as it was', async () => {
    const { id } = await setUp({}, { SEND_BLOCK_PRIVATE: 'true' });
    expectError(await request(h.app).patch(`/webhook/endpoints/${id}`).send({ url: 'http://10.0.0.5/hooks' }), 400, 'destination.forbidden');
    expectError(await request(h.app).patch(`/webhook/endpoints/${id}`).send({ url: 'http://169.254.169.254/latest/meta-data' }), 400, 'destination.forbidden');
    expect((await request(h.app).get(`/webhook/endpoints/${id}`)).body.url).toBe(OLD_URL);
  });

  if (backend !== 'memory') {
    it("keeps an endpoint's extra headers out of the stored delivery", async () => {
      await setUp();
      h.oldUrl.status = 200;
      const deliveryId = await post();
      expect((await h.deps.sender.settled(deliveryId)).status).toBe('delivered');
      expect(h.calls[0]!.headers.get('authorization')).toBe(OLD_TOKEN);
      const rows = await h.outboxRows();
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0]!).headers).toBeNull();
      expect(rows[0]).not.toContain('old-token');
    });
  }
}

describe.each<Backend>(['memory', 'sqlite'])('an endpoint edited while its deliveries wait (%s)', (backend) => {
  editedEndpointSuite(backend, () => undefined);
});

describePostgres('an endpoint edited while its deliveries wait (postgres)', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startTestPostgres();
  }, 60_000);
  afterAll(() => server?.stop());
  editedEndpointSuite('postgres', () => server);
});
