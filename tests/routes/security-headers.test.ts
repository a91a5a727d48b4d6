import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { createApp, HELMET_OPTIONS } from '../../src/app';
import { makeDeps } from '../helpers/deps';

describe('security headers', () => {
  it.each([
    ['GET /healthz', (app: ReturnType<typeof createApp>) => request(app).get('/healthz')],
    ['GET /nope (404)', (app: ReturnType<typeof createApp>) => request(app).get('/nope')],
    ['GET /metrics', (app: ReturnType<typeof createApp>) => request(app).get('/metrics')],
  ])('are on every response: %s', async (_name, call) => {
    const res = await call(createApp(makeDeps()));
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('are exactly the headers helmet itself sets with the same options (computed once, not per request)', async () => {
    const plain = express();
    plain.disable('x-powered-by');
    plain.use(helmet(HELMET_OPTIONS));
    plain.get('/healthz', (_req, res) => res.json({}));
    const helmetHeaders = (await request(plain).get('/healthz')).headers;
    const ours = (await request(createApp(makeDeps())).get('/healthz')).headers;
    const names = Object.keys(helmetHeaders).filter((name) => !['content-type', 'content-length', 'date', 'connection', 'keep-alive', 'etag'].includes(name));
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect([name, ours[name]]).toEqual([name, helmetHeaders[name]]);
  });

  it.each([
    ['401', (app: ReturnType<typeof createApp>) => request(app).post('/webhook/receive').send('x')],
    ['413', (app: ReturnType<typeof createApp>) => request(app).post('/webhook/receive').set('content-type', 'application/json').send(`"${'x'.repeat(2000)}"`)],
  ])('gives webhook senders the API set on /webhook/receive (%s): no page there to protect', async (_status, call) => {
    const res = await call(createApp(makeDeps({ env: { MAX_BODY_BYTES: '1000' } })));
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(res.headers['cross-origin-opener-policy']).toBeUndefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('does not ask browsers to upgrade to https, since the server usually runs on plain http', async () => {
    const res = await request(createApp(makeDeps())).get('/healthz');
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });
});

describe('MANAGEMENT_MAX_BODY_BYTES', () => {
  it('answers 413 body.too_large naming the management limit', async () => {
    const app = createApp(makeDeps({ env: { MANAGEMENT_MAX_BODY_BYTES: '100', MAX_BODY_BYTES: '5000' } }));
    const res = await request(app)
      .post('/webhook/send')
      .send({ url: 'https://hooks.example.com/', eventType: 'x', payload: { pad: 'p'.repeat(200) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('body.too_large');
    expect(res.body.error.message).toContain('100 bytes');
  });
});
