import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createStorage } from '../../src/storage/create-storage';
import { openPoisonedDatabase, POISON_WRITE } from '../helpers/poisoned-db';
import { createApp } from '../../src/app';
import { VERSION } from '../../src/version';
import { fakeClock, makeDeps, testConfig } from '../helpers/deps';
import { instantSleep, recordingFetch } from '../helpers/security';
import { nativeHeaders } from '../helpers/sign';

describe('GET /healthz', () => {
  it('reports status, version, uptime, counts and pending work', async () => {
    const clock = fakeClock();
    const deps = makeDeps({ now: clock.now, eventLoop: () => ({ meanMs: 1.5, p99Ms: 4, maxMs: 9 }) });
    const app = createApp(deps);
    const body = '{"userId":"1"}';
    await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), id: 'evt_1' })).send(body);
    await request(app).post('/webhook/receive').send('unsigned');
    clock.advance(5_500);

    const res = await request(app).get('/healthz');

    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      status: 'ok',
      version: VERSION,
      uptimeSeconds: 5,
      history: { accepted: 1, rejected: 1 },
      deliveries: { pending: 0, delivered: 0, failed: 0 },
      processing: { pending: expect.any(Number) },
      eventLoopDelayMs: { meanMs: 1.5, p99Ms: 4, maxMs: 9 },
    });
  });

  it('reports the event-loop delay as null when no monitor runs', async () => {
    const res = await request(createApp(makeDeps())).get('/healthz');
    expect(res.body.eventLoopDelayMs).toBeNull();
  });
});

describe('GET /healthz while the store cannot write (STORE=sqlite)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'webhooks-health-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers 503 storage.unavailable with the reason, and 200 again once the database takes writes, without a restart', async () => {
    const db = openPoisonedDatabase(join(dir, 'webhooks.db'));
    // The disk is full: the history's insert fails, and so does the small write /healthz tries.
    db.exec("CREATE TRIGGER probe_fails BEFORE UPDATE ON storage_probe BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");
    const clock = fakeClock();
    const storage = createStorage(testConfig({ STORE: 'sqlite' }), { database: db });
    const app = createApp(makeDeps({ now: clock.now, storage }));
    try {
      expect((await request(app).get('/healthz')).status).toBe(200);
      const body = '{"userId":"1"}';
      const refused = await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), id: 'evt_full', event: POISON_WRITE })).send(body);
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('storage.unavailable');

      const failing = await request(app).get('/healthz');
      expect(failing.status).toBe(503);
      expect(failing.body).toMatchObject({ status: 'unavailable', error: { code: 'storage.unavailable', message: expect.stringContaining('database or disk is full') } });
      expect((await request(app).get('/healthz')).status).toBe(503); // its own write fails too: still unavailable

      db.exec('DROP TRIGGER probe_fails'); // room on the disk again
      const recovered = await request(app).get('/healthz');
      expect(recovered.status).toBe(200);
      expect(recovered.body.status).toBe('ok');
      expect(recovered.body.error).toBeUndefined();
      const accepted = await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), id: 'evt_ok' })).send(body);
      expect(accepted.status).toBe(200);
    } finally {
      storage.close();
    }
  });
});

function metricValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('counts a received, a rejected and a delivered webhook in the Prometheus text format', async () => {
    const clock = fakeClock();
    const deps = makeDeps({ now: clock.now, fetch: recordingFetch(200), sleep: instantSleep });
    const app = createApp(deps);
    const body = '{"userId":"1"}';
    await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), id: 'evt_1' })).send(body);
    await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), id: 'evt_1' })).send(body);
    await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), secret: 'wrong' })).send(body);
    await request(app).post('/webhook/send?wait=true').send({ url: 'https://hooks.example.com/in', eventType: 'user.created', payload: {} });
    await deps.processor.onIdle();

    const res = await request(app).get('/metrics');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(metricValue(text, 'webhook_received_total{scheme="native",outcome="accepted"}')).toBe(1);
    expect(metricValue(text, 'webhook_received_total{scheme="native",outcome="duplicate"}')).toBe(1);
    expect(metricValue(text, 'webhook_received_total{scheme="native",outcome="rejected"}')).toBe(1);
    expect(metricValue(text, 'webhook_verification_failures_total{reason="signature.mismatch"}')).toBe(1);
    expect(metricValue(text, 'webhook_processing_total{outcome="done"}')).toBe(1);
    expect(metricValue(text, 'webhook_processing_duration_seconds_count')).toBe(1);
    expect(metricValue(text, 'webhook_deliveries_total{outcome="delivered"}')).toBe(1);
    expect(metricValue(text, 'webhook_delivery_attempts_total{outcome="2xx"}')).toBe(1);
    expect(metricValue(text, 'webhook_delivery_attempt_duration_seconds_count')).toBe(1);
    expect(metricValue(text, 'webhook_deliveries_pending')).toBe(0);
    expect(metricValue(text, 'webhook_history_entries{status="accepted"}')).toBe(1);
    expect(metricValue(text, 'webhook_history_entries{status="rejected"}')).toBe(1);
  });

  it('counts failed deliveries and attempts without a response', async () => {
    const failing = async (): Promise<Response> => {
      throw new TypeError('fetch failed');
    };
    const app = createApp(makeDeps({ fetch: failing, sleep: instantSleep }));
    await request(app).post('/webhook/send?wait=true').send({ url: 'https://hooks.example.com/in', eventType: 'x', payload: {}, maxAttempts: 2 });
    const { text } = await request(app).get('/metrics');
    expect(metricValue(text, 'webhook_deliveries_total{outcome="failed"}')).toBe(1);
    expect(metricValue(text, 'webhook_delivery_attempts_total{outcome="error"}')).toBe(2);
  });

  it('counts requests refused for a missing signature under the scheme "none"', async () => {
    const app = createApp(makeDeps());
    await request(app).post('/webhook/receive').send('x');
    const { text } = await request(app).get('/metrics');
    expect(metricValue(text, 'webhook_received_total{scheme="none",outcome="rejected"}')).toBe(1);
    expect(metricValue(text, 'webhook_verification_failures_total{reason="signature.missing"}')).toBe(1);
  });

  it('keeps one registry per app, so two apps do not share counts', async () => {
    const first = createApp(makeDeps());
    const second = createApp(makeDeps());
    await request(first).post('/webhook/receive').send('x');
    const { text } = await request(second).get('/metrics');
    expect(metricValue(text, 'webhook_received_total{scheme="none",outcome="rejected"}')).toBeUndefined();
  });

  it('counts rate-limited requests', async () => {
    const app = createApp(makeDeps({ env: { RECEIVE_RATE_LIMIT: '1' } }));
    await request(app).post('/webhook/receive').send('x');
    await request(app).post('/webhook/receive').send('x');
    const { text } = await request(app).get('/metrics');
    expect(metricValue(text, 'webhook_rate_limited_total')).toBe(1);
  });
});
