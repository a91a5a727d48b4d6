import { connect } from 'node:net';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/app';
import { start, type RunningServer } from '../../src/server';
import { until } from '../helpers/async';
import { makeDeps } from '../helpers/deps';
import { recordingFetch } from '../helpers/fetch';
import { nativeHeaders } from '../helpers/sign';
import { listen, openStream, type SseClient } from '../helpers/sse';

const SEND = { url: 'http://hooks.example.test/in', eventType: 'user.created', payload: { a: 1 } };

function appWithEvent() {
  const { fetch } = recordingFetch();
  const deps = makeDeps({ fetch });
  const app = createApp(deps);
  const body = '{"n":1}';
  return { deps, app, seed: () => request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: Date.now(), id: 'evt_1' })).send(body).expect(200) };
}

describe('a state-changing request from another origin (CSRF)', () => {
  it('is refused when a page elsewhere posts a form to /webhook/send', async () => {
    const { app, deps } = appWithEvent();

    const res = await request(app)
      .post('/webhook/send')
      .set({ Origin: 'http://evil.example', 'Content-Type': 'text/plain' })
      .send(JSON.stringify(SEND));

    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf.rejected');
    expect((await deps.deliveries.list({ limit: 10 })).items).toHaveLength(0);
  });

  it.each([
    ['DELETE', '/webhook/history'],
    ['POST', '/webhook/history/evt_1/replay'],
    ['POST', '/webhook/deliveries/dlv_1/retry'],
    ['POST', '/webhook/send'],
    ['PUT', '/webhook/history/evt_1'],
    ['PATCH', '/webhook/deliveries/dlv_1'],
  ])('refuses %s %s sent cross-site (Sec-Fetch-Site), and changes nothing', async (method, path) => {
    const { app, deps, seed } = appWithEvent();
    await seed();

    const res = await request(app)[method.toLowerCase() as 'post'](path).set('Sec-Fetch-Site', 'cross-site').send(SEND);

    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf.rejected');
    expect(deps.history.get('evt_1')).toBeDefined();
  });

  it('refuses same-site (another port or subdomain is another origin) and Origin: null', async () => {
    const { app } = appWithEvent();

    expect((await request(app).delete('/webhook/history').set('Sec-Fetch-Site', 'same-site')).body.error.code).toBe('csrf.rejected');
    expect((await request(app).delete('/webhook/history').set('Origin', 'null')).body.error.code).toBe('csrf.rejected');
    expect((await request(app).delete('/webhook/history').set('Origin', 'http://127.0.0.1:9999')).body.error.code).toBe('csrf.rejected');
  });

  it('lets the same origin through: the page itself, by Sec-Fetch-Site or by an Origin naming this host', async () => {
    const { app, seed } = appWithEvent();
    await seed();
    const host = '127.0.0.1:3005';

    const bySite = await request(app).delete('/webhook/history').set({ 'Sec-Fetch-Site': 'same-origin', Host: host });
    const byOrigin = await request(app).delete('/webhook/history').set({ Origin: `http://${host}`, Host: host });

    expect(bySite.status).toBe(200);
    expect(byOrigin.status).toBe(200);
  });

  it('lets a non-browser client through (no Origin, no Sec-Fetch-Site): curl, SDKs', async () => {
    const { app } = appWithEvent();

    expect((await request(app).post('/webhook/send').send(SEND)).status).toBe(202);
  });

  it('does not apply to reads, nor to /webhook/receive, which senders on any origin use', async () => {
    const { app } = appWithEvent();
    const body = '{"n":2}';

    expect((await request(app).get('/webhook/history').set('Sec-Fetch-Site', 'cross-site')).status).toBe(200);
    const received = await request(app).post('/webhook/receive').set({ ...nativeHeaders(body, { nowMs: Date.now() }), Origin: 'http://elsewhere.example', 'Sec-Fetch-Site': 'cross-site' }).send(body);
    expect(received.status).toBe(200);
  });
});

describe('loopback-only mode behind a proxy on this machine', () => {
  it.each([
    ['X-Forwarded-For', '203.0.113.7'],
    ['Forwarded', 'for=203.0.113.7'],
    ['Via', '1.1 nginx'],
  ])('refuses a request carrying %s while TRUST_PROXY is off', async (name, value) => {
    const app = createApp(makeDeps());

    const res = await request(app).get('/webhook/history').set(name, value);

    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('auth.proxied');
    expect(res.body.error.message).toContain(name.toLowerCase());
  });

  it('serves a proxied loopback client once TRUST_PROXY is set, by the real client address', async () => {
    const app = createApp(makeDeps({ env: { TRUST_PROXY: 'loopback' } }));

    expect((await request(app).get('/webhook/history').set('X-Forwarded-For', '127.0.0.1')).status).toBe(200);
    expect((await request(app).get('/webhook/history').set('X-Forwarded-For', '203.0.113.7')).body.error.code).toBe('auth.loopback_only');
  });

  it('does not concern /webhook/receive', async () => {
    const app = createApp(makeDeps());
    const body = '{"n":1}';

    const res = await request(app).post('/webhook/receive').set({ ...nativeHeaders(body, { nowMs: Date.now() }), Via: '1.1 nginx' }).send(body);

    expect(res.status).toBe(200);
  });
});

describe('STREAM_MAX_CLIENTS', () => {
  const clients: SseClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  it('answers one client too many with 503 stream.full as JSON, and serves again once one leaves', async () => {
    const deps = makeDeps({ env: { STREAM_MAX_CLIENTS: '2' } });
    const served = await listen(createApp(deps));
    try {
      clients.push(await openStream(served.url, '/webhook/history/stream'), await openStream(served.url, '/webhook/history/stream'));
      const full = await request(served.server).get('/webhook/history/stream');
      clients.shift()!.close();
      await until(() => deps.feed.subscriberCount === 1); // the server has seen that client go
      const again = await openStream(served.url, '/webhook/history/stream');
      clients.push(again);

      expect(full.status).toBe(503);
      expect(full.headers['content-type']).toMatch(/^application\/json/);
      expect(full.body.error.code).toBe('stream.full');
      expect(again.response.statusCode).toBe(200);
    } finally {
      for (const client of clients.splice(0)) client.close();
      await served.close();
    }
  });
});

describe('a request without a Host header', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('is answered 400 with the JSON error body', async () => {
    server = await start({ PORT: '0', HOST: '127.0.0.1', WEBHOOK_SECRET: 'host-test-secret' }, { logger: pino({ level: 'silent' }) });
    const port = Number(new URL(server.url).port);

    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });

    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'request.host_missing', message: expect.any(String) } });
  });
});
