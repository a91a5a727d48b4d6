import request from 'supertest';
import { createApp } from '../../src/app';
import { makeDeps } from '../helpers/deps';
import { clientFromHeader } from '../helpers/security';

const TOKEN = 'a-long-enough-admin-token-0123456789';

function appWith(env: Record<string, string> = {}) {
  return createApp(makeDeps({ env, clientAddress: clientFromHeader }));
}

const managementRequests: [string, (app: ReturnType<typeof appWith>) => request.Test][] = [
  ['GET /webhook/history', (app) => request(app).get('/webhook/history')],
  ['GET /webhook/history/:id', (app) => request(app).get('/webhook/history/evt_1')],
  ['DELETE /webhook/history', (app) => request(app).delete('/webhook/history')],
  ['POST /webhook/send', (app) => request(app).post('/webhook/send').send({})],
  ['GET /webhook/deliveries', (app) => request(app).get('/webhook/deliveries')],
  ['POST /webhook/deliveries/:id/retry', (app) => request(app).post('/webhook/deliveries/dlv_1/retry')],
  ['GET /metrics', (app) => request(app).get('/metrics')],
];

describe('with ADMIN_TOKEN set', () => {
  it.each(managementRequests)('asks for the token on %s when none is sent', async (_name, call) => {
    const res = await call(appWith({ ADMIN_TOKEN: TOKEN }));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('auth.required');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it.each(managementRequests)('refuses a wrong token on %s', async (_name, call) => {
    const res = await call(appWith({ ADMIN_TOKEN: TOKEN })).set('Authorization', `Bearer ${TOKEN}x`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('auth.invalid');
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it.each(managementRequests)('lets the right token through on %s, even from a remote client', async (_name, call) => {
    const res = await call(appWith({ ADMIN_TOKEN: TOKEN })).set('Authorization', `Bearer ${TOKEN}`).set('x-test-client', '203.0.113.7');
    expect(res.status).not.toBe(401);
    expect(res.status).not.toBe(403);
  });

  it('answers the history to the right token', async () => {
    const res = await request(appWith({ ADMIN_TOKEN: TOKEN })).get('/webhook/history').set('Authorization', `bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
  });

  it('refuses the token in another scheme than Bearer or Basic', async () => {
    const res = await request(appWith({ ADMIN_TOKEN: TOKEN })).get('/webhook/history').set('Authorization', `Token ${TOKEN}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('auth.invalid');
  });

  it('refuses a bare token sent as Basic credentials (no user:password pair)', async () => {
    const res = await request(appWith({ ADMIN_TOKEN: TOKEN })).get('/webhook/history').set('Authorization', `Basic ${Buffer.from(TOKEN).toString('base64')}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('auth.invalid');
  });

  it('lets a browser in with Basic credentials whose password is the token, for the page and its live stream', async () => {
    const basic = `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`;
    const app = appWith({ ADMIN_TOKEN: TOKEN });
    const page = await request(app).get('/').set('Accept', 'text/html').set('Authorization', basic);
    const wrong = await request(app).get('/').set('Accept', 'text/html').set('Authorization', `Basic ${Buffer.from('admin:nope').toString('base64')}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(wrong.status).toBe(401);
  });

  it('challenges a browser with Basic, so it prompts for the token, and API clients with Bearer', async () => {
    const app = appWith({ ADMIN_TOKEN: TOKEN });
    const browser = await request(app).get('/').set('Accept', 'text/html,application/xhtml+xml');
    const api = await request(app).get('/webhook/history').set('Accept', 'application/json');
    expect(browser.status).toBe(401);
    expect(browser.headers['www-authenticate']).toMatch(/^Basic realm="webhook-server"/);
    expect(api.headers['www-authenticate']).toMatch(/^Bearer realm="webhook-server"/);
  });

  it('asks loopback clients for the token too', async () => {
    const res = await request(appWith({ ADMIN_TOKEN: TOKEN })).get('/webhook/history');
    expect(res.status).toBe(401);
  });
});

describe('without ADMIN_TOKEN', () => {
  it('serves a client on 127.0.0.1 (supertest connects from there)', async () => {
    const res = await request(createApp(makeDeps())).get('/webhook/history');
    expect(res.status).toBe(200);
  });

  it.each(['127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1'])('serves the loopback client %s', async (address) => {
    const res = await request(appWith()).get('/webhook/deliveries').set('x-test-client', address);
    expect(res.status).toBe(200);
  });

  it.each(['203.0.113.7', '10.0.0.2', '::ffff:10.0.0.2', '2001:db8::1', ''])('refuses the non-loopback client %j with 403 and says to set ADMIN_TOKEN', async (address) => {
    const res = await request(appWith()).get('/webhook/history').set('x-test-client', address);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('auth.loopback_only');
    expect(res.body.error.message).toContain('ADMIN_TOKEN');
  });

  it.each(['localhost:3005', '127.0.0.1', '[::1]:3005', 'app.localhost:3005'])('serves a loopback client whose Host is %s', async (host) => {
    const res = await request(appWith()).get('/webhook/history').set('Host', host);
    expect(res.status).toBe(200);
  });

  it.each(['attacker.example:3005', 'attacker.example', '10.0.0.2:3005', 'localhost.attacker.example'])(
    'refuses a loopback client whose Host is %s: a DNS-rebound page must not read the history',
    async (host) => {
      const app = appWith();
      const history = await request(app).get('/webhook/history').set('Host', host);
      const send = await request(app).post('/webhook/send').set('Host', host).send({ url: 'http://127.0.0.1:1/', eventType: 'x', payload: 1 });
      expect(history.status).toBe(403);
      expect(history.body.error.code).toBe('auth.loopback_only');
      expect(send.status).toBe(403);
    },
  );

  it('refuses a remote client on /metrics and on /webhook/send before reading the body', async () => {
    const app = appWith();
    const metrics = await request(app).get('/metrics').set('x-test-client', '198.51.100.1');
    const send = await request(app).post('/webhook/send').set('x-test-client', '198.51.100.1').set('content-type', 'application/json').send('{not json');
    expect(metrics.status).toBe(403);
    expect(send.status).toBe(403);
  });
});

describe('open routes', () => {
  it.each<Record<string, string>>([{}, { ADMIN_TOKEN: TOKEN }])('keeps /webhook/receive open to a remote client (env %j)', async (env) => {
    const res = await request(appWith(env)).post('/webhook/receive').set('x-test-client', '203.0.113.7').send('{}');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.missing');
  });

  it.each<Record<string, string>>([{}, { ADMIN_TOKEN: TOKEN }])('keeps /healthz open to a remote client (env %j)', async (env) => {
    const res = await request(appWith(env)).get('/healthz').set('x-test-client', '203.0.113.7');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });
});

describe('TRUST_PROXY', () => {
  it('refuses a loopback request that came through a proxy when TRUST_PROXY is off (issue 11)', async () => {
    // Real req.ip here: the socket is 127.0.0.1, as it is for every client of a reverse proxy on this machine.
    const app = createApp(makeDeps({ env: { TRUST_PROXY: '' } }));
    const res = await request(app).get('/webhook/history').set('X-Forwarded-For', '203.0.113.7');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('auth.proxied');
  });

  it('ignores X-Forwarded-For with ADMIN_TOKEN set: the token decides, and a client cannot claim loopback', async () => {
    const app = createApp(makeDeps({ env: { TRUST_PROXY: '', ADMIN_TOKEN: 'a-long-admin-token-0123' }, clientAddress: clientFromHeader }));
    const res = await request(app).get('/webhook/history').set({ 'X-Forwarded-For': '127.0.0.1', 'x-test-client': '203.0.113.7' });
    expect(res.status).toBe(401);
  });

  it('takes the client address from X-Forwarded-For when the proxy on loopback is trusted', async () => {
    const app = createApp(makeDeps({ env: { TRUST_PROXY: 'loopback' } }));
    const res = await request(app).get('/webhook/history').set('X-Forwarded-For', '203.0.113.7');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('auth.loopback_only');
  });

  it('accepts a hop count', async () => {
    const app = createApp(makeDeps({ env: { TRUST_PROXY: '1' } }));
    const res = await request(app).get('/webhook/history').set('X-Forwarded-For', '127.0.0.1');
    expect(res.status).toBe(200);
  });
});
