import request from 'supertest';
import { createApp } from '../../src/app';
import { DestinationForbiddenError } from '../../src/security/destination';
import { createGuardedFetch } from '../../src/security/guarded-fetch';
import { makeDeps } from '../helpers/deps';
import { fakeLookup, instantSleep, localServer, recordingFetch, type LocalServer } from '../helpers/security';

const payload = { eventType: 'user.created', payload: { userId: '123' } };

describe('SEND_ALLOWED_HOSTS', () => {
  const env = { SEND_ALLOWED_HOSTS: 'hooks.example.com, *.partner.test' };

  it.each(['https://hooks.example.com/in', 'https://HOOKS.example.com./in', 'http://a.partner.test/x', 'https://b.c.partner.test:8443/'])(
    'sends to the allowed %s',
    async (url) => {
      const fetch = recordingFetch();
      const res = await request(createApp(makeDeps({ env, fetch, lookup: fakeLookup({}) }))).post('/webhook/send?wait=true').send({ url, ...payload });
      expect(res.status).toBe(200);
      expect(fetch.urls).toEqual([url]);
    },
  );

  it.each(['https://evil.example.com/', 'https://partner.test/', 'https://notpartner.test/', 'http://hooks.example.com.evil.test/', 'http://127.0.0.1:3005/webhook/receive'])(
    'refuses %s with 400 destination.forbidden before anything is sent',
    async (url) => {
      const fetch = recordingFetch();
      const res = await request(createApp(makeDeps({ env, fetch, lookup: fakeLookup({}) }))).post('/webhook/send').send({ url, ...payload });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('destination.forbidden');
      expect(res.body.error.message).toContain('SEND_ALLOWED_HOSTS');
      expect(fetch.urls).toEqual([]);
    },
  );
});

describe('SEND_BLOCK_PRIVATE=true', () => {
  const env = { SEND_BLOCK_PRIVATE: 'true' };
  const lookup = () =>
    fakeLookup({
      localhost: '127.0.0.1',
      'rebound.test': '127.0.0.1',
      'metadata.test': '169.254.169.254',
      'mixed.test': ['203.0.113.10', '10.0.0.5'],
      'v6-loopback.test': '::1',
      'public.test': '203.0.113.10',
    });

  it.each([
    ['loopback', 'http://127.0.0.1:3005/webhook/receive'],
    ['the rest of 127/8', 'http://127.1.2.3/'],
    ['localhost', 'http://localhost:3005/webhook/receive'],
    ['10/8', 'http://10.1.2.3/'],
    ['172.16/12', 'http://172.31.255.1/'],
    ['192.168/16', 'http://192.168.1.1/'],
    ['the cloud metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['CGNAT 100.64/10', 'http://100.64.0.1/'],
    ['0.0.0.0/8', 'http://0.0.0.0:3005/'],
    ['a decimal IPv4 literal', 'http://2130706433/'],
    ['a hex IPv4 literal', 'http://0x7f.1/'],
    ['IPv6 loopback', 'http://[::1]:3005/'],
    ['IPv6 unique-local', 'http://[fd12:3456::1]/'],
    ['IPv6 link-local', 'http://[fe80::1]/'],
    ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped metadata in hex', 'http://[::ffff:a9fe:a9fe]/'],
    ['a name that resolves to 127.0.0.1', 'https://rebound.test/hook'],
    ['a name that resolves to 169.254.169.254', 'https://metadata.test/hook'],
    ['a name with one private address among public ones', 'https://mixed.test/hook'],
    ['a name that resolves to ::1', 'https://v6-loopback.test/hook'],
  ])('refuses %s (%s) before anything is sent', async (_what, url) => {
    const fetch = recordingFetch();
    const res = await request(createApp(makeDeps({ env, fetch, lookup: lookup() }))).post('/webhook/send').send({ url, ...payload });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('destination.forbidden');
    expect(res.body.error.message).toContain('SEND_BLOCK_PRIVATE');
    expect(fetch.urls).toEqual([]);
  });

  it('names the resolved address when a host name resolves to a private one', async () => {
    const res = await request(createApp(makeDeps({ env, fetch: recordingFetch(), lookup: lookup() }))).post('/webhook/send').send({ url: 'https://rebound.test/', ...payload });
    expect(res.body.error.message).toContain('127.0.0.1');
  });

  it.each(['https://public.test/hook', 'https://203.0.113.10/hook', 'https://[2001:db8::1]/hook'])('sends to the public destination %s', async (url) => {
    const fetch = recordingFetch();
    const res = await request(createApp(makeDeps({ env, fetch, lookup: lookup() }))).post('/webhook/send?wait=true').send({ url, ...payload });
    expect(res.status).toBe(200);
    expect(fetch.urls).toEqual([url]);
  });

  it('lets a name that does not resolve through to fail as a delivery, not as a 400', async () => {
    const res = await request(createApp(makeDeps({ env, fetch: recordingFetch(), lookup: lookup() }))).post('/webhook/send').send({ url: 'https://nowhere.test/', ...payload });
    expect(res.status).toBe(202);
  });

  it('checks the destination again when a delivery is retried', async () => {
    const deps = makeDeps({ env: { SEND_ALLOWED_HOSTS: 'public.test' }, fetch: recordingFetch(500), sleep: instantSleep, lookup: lookup() });
    const app = createApp(deps);
    const sent = await request(app).post('/webhook/send?wait=true').send({ url: 'https://public.test/', maxAttempts: 1, ...payload });
    expect(sent.status).toBe(502);
    // The same stores under a stricter allow-list, as after a restart with SEND_ALLOWED_HOSTS changed.
    const stricter = createApp({ ...deps, destinations: makeDeps({ env: { SEND_ALLOWED_HOSTS: 'other.test' } }).destinations });
    const retried = await request(stricter).post(`/webhook/deliveries/${sent.body.delivery.id}/retry`);
    expect(retried.status).toBe(400);
    expect(retried.body.error.code).toBe('destination.forbidden');
  });
});

describe('the connect-time guard', () => {
  let servers: LocalServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });

  it('refuses a name that resolved to a public address at send time and to 127.0.0.1 at connect time (DNS rebinding), without retrying', async () => {
    const target = await localServer((_req, res) => res.end('should never be reached'));
    servers.push(target);
    let calls = 0;
    // First answer (the /webhook/send check): public. Every later answer (the connection): loopback.
    const lookup = fakeLookup({ 'rebind.test': () => (++calls === 1 ? '203.0.113.10' : '127.0.0.1') });
    const app = createApp(makeDeps({ env: { SEND_BLOCK_PRIVATE: 'true' }, lookup, sleep: instantSleep }));
    const res = await request(app).post('/webhook/send?wait=true').send({ url: `http://rebind.test:${target.port}/hook`, ...payload });
    expect(res.status).toBe(502);
    expect(res.body.delivery.status).toBe('failed');
    expect(res.body.delivery.attempts).toHaveLength(1);
    expect(res.body.delivery.attempts[0].error).toMatch(/^destination forbidden: .*127\.0\.0\.1/);
    expect(res.body.delivery.error).toContain('not retried');
    expect(target.hits()).toBe(0);
  });

  it('does not follow a redirect, even to a private address', async () => {
    const internal = await localServer((_req, res) => res.end('internal'));
    const redirecting = await localServer((_req, res) => {
      res.writeHead(302, { Location: `${internal.url}/latest/meta-data/` }).end();
    });
    servers.push(internal, redirecting);
    const app = createApp(makeDeps({ sleep: instantSleep }));
    const res = await request(app).post('/webhook/send?wait=true').send({ url: `${redirecting.url}/hook`, ...payload });
    expect(res.status).toBe(502);
    expect(res.body.delivery.attempts).toHaveLength(1);
    expect(res.body.delivery.attempts[0].statusCode).toBe(302);
    expect(redirecting.hits()).toBe(1);
    expect(internal.hits()).toBe(0);
  });

  it('checks every connection, so a followed redirect to a forbidden host is refused too', async () => {
    const internal = await localServer((_req, res) => res.end('internal'));
    const redirecting = await localServer((_req, res) => {
      res.writeHead(302, { Location: `http://internal.test:${internal.port}/` }).end();
    });
    servers.push(internal, redirecting);
    const guarded = createGuardedFetch({ allowedHosts: ['public.test'], blockPrivate: false }, fakeLookup({ 'public.test': '127.0.0.1', 'internal.test': '127.0.0.1' }));
    // Our sender never follows redirects; this asks the guard directly what would happen if something did.
    const error = await guarded.fetch(`http://public.test:${redirecting.port}/`, { method: 'GET', redirect: 'follow' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await guarded.close();
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).cause).toBeInstanceOf(DestinationForbiddenError);
    expect(redirecting.hits()).toBe(1);
    expect(internal.hits()).toBe(0);
  });

  it('refuses an IP literal at connect time, where no DNS lookup happens', async () => {
    const target = await localServer((_req, res) => res.end('ok'));
    servers.push(target);
    const guarded = createGuardedFetch({ allowedHosts: [], blockPrivate: true }, fakeLookup({}));
    const error = await guarded.fetch(`${target.url}/`, { method: 'GET' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await guarded.close();
    expect((error as Error).cause).toBeInstanceOf(DestinationForbiddenError);
    expect(target.hits()).toBe(0);
  });

  it('connects as usual when the rules allow the destination', async () => {
    const target = await localServer((_req, res) => res.end('hello'));
    servers.push(target);
    const guarded = createGuardedFetch({ allowedHosts: [], blockPrivate: false }, fakeLookup({ 'named.test': '127.0.0.1' }));
    const res = await guarded.fetch(`http://named.test:${target.port}/`, { method: 'GET' });
    const text = await res.text();
    await guarded.close();
    expect(res.status).toBe(200);
    expect(text).toBe('hello');
  });
});
