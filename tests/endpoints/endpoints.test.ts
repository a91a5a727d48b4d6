import request from 'supertest';
import { expectError } from '../helpers/app';
import { providerApp, type Backend, type ProviderApp } from '../helpers/endpoints';

describe.each<Backend>(['memory', 'sqlite'])('/webhook/endpoints (%s)', (backend) => {
  let p: ProviderApp;
  beforeEach(() => {
    p = providerApp({ backend });
  });
  afterEach(() => p.close());

  it('creates an endpoint with defaults and shows its secret once, and again on GET .../secret', async () => {
    const res = await request(p.app).post('/webhook/endpoints').send({ url: 'https://a.example/hooks' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/webhook/endpoints/${res.body.endpoint.id}`);
    expect(res.body.endpoint).toMatchObject({
      appId: 'default',
      url: 'https://a.example/hooks',
      description: '',
      eventTypes: [],
      scheme: 'native',
      enabled: true,
      rateLimit: null,
      headers: {},
      metadata: {},
      retrySchedule: 'exponential',
      disabledReason: null,
    });
    expect(res.body.secret).toMatch(/^wsk_[0-9a-f]{64}$/);
    const got = await request(p.app).get(`/webhook/endpoints/${res.body.endpoint.id}`);
    expect(got.body).toEqual(res.body.endpoint);
    expect(JSON.stringify(got.body)).not.toContain(res.body.secret);
    const secret = await request(p.app).get(`/webhook/endpoints/${res.body.endpoint.id}/secret`);
    expect(secret.body).toEqual({ secret: res.body.secret, previousSecretUntil: null });
    expect(secret.headers['cache-control']).toBe('no-store');
  });

  it('gives each endpoint its own secret, whsec_ and base64 for the standard scheme', async () => {
    const a = await p.createEndpoint({ url: 'https://a.example/hooks', scheme: 'standard' });
    const b = await p.createEndpoint({ url: 'https://b.example/hooks', scheme: 'standard' });
    expect(a.secret).toMatch(/^whsec_/);
    expect(Buffer.from(a.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(b.secret).not.toBe(a.secret);
  });

  it('takes a secret the receiver already has, checked for its scheme', async () => {
    const given = await p.createEndpoint({ url: 'https://a.example/hooks', secret: 'a-secret-the-receiver-has' });
    expect(given.secret).toBe('a-secret-the-receiver-has');
    expect((await request(p.app).get(`/webhook/endpoints/${given.endpoint.id}/secret`)).body.secret).toBe('a-secret-the-receiver-has');
    const short = await request(p.app).post('/webhook/endpoints').send({ url: 'https://a.example/hooks', secret: 'short' });
    expectError(short, 400, 'request.invalid');
    expect(short.body.error.message).toContain('secret:');
    const notStandard = await request(p.app).post('/webhook/endpoints').send({ url: 'https://a.example/hooks', scheme: 'standard', secret: 'plain-text-secret-here' });
    expectError(notStandard, 400, 'request.invalid');
    expect(notStandard.body.error.message).toContain('secret: for the standard scheme');
  });

  it('names every bad field in a 400', async () => {
    const res = await request(p.app)
      .post('/webhook/endpoints')
      .send({ url: 'ftp://x', scheme: 'stripe', eventTypes: ['a*b'], rateLimit: 0, headers: { 'X-Webhook-Signature': 'x' }, enabled: 'yes', retrySchedule: 'daily', color: 'red' });
    expectError(res, 400, 'request.invalid');
    const message = res.body.error.message as string;
    for (const field of ['url', 'scheme', 'eventTypes', 'rateLimit', 'headers', 'enabled', 'retrySchedule', 'color']) expect(message).toContain(`${field}:`);
    expectError(await request(p.app).post('/webhook/endpoints').send({}), 400, 'request.invalid');
  });

  it('applies the destination rules when an endpoint is created or moved', async () => {
    const strict = providerApp({ backend, env: { SEND_ALLOWED_HOSTS: 'allowed.example' } });
    try {
      expectError(await request(strict.app).post('/webhook/endpoints').send({ url: 'https://evil.example/x' }), 400, 'destination.forbidden');
      const ok = await strict.createEndpoint({ url: 'https://allowed.example/x' });
      expectError(await request(strict.app).patch(`/webhook/endpoints/${ok.endpoint.id}`).send({ url: 'https://evil.example/x' }), 400, 'destination.forbidden');
    } finally {
      await strict.close();
    }
  });

  it('lists endpoints oldest first, filtered by appId, in pages', async () => {
    for (const n of [1, 2, 3]) await p.createEndpoint({ appId: 'acme', url: `https://acme.example/${n}` });
    await p.createEndpoint({ appId: 'globex', url: 'https://globex.example/1' });
    const first = await request(p.app).get('/webhook/endpoints?appId=acme&limit=2');
    expect(first.body.items.map((e: { url: string }) => e.url)).toEqual(['https://acme.example/1', 'https://acme.example/2']);
    const second = await request(p.app).get(`/webhook/endpoints?appId=acme&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ url: 'https://acme.example/3' })], nextCursor: null });
    expect((await request(p.app).get('/webhook/endpoints')).body.items).toHaveLength(4);
    expectError(await request(p.app).get('/webhook/endpoints?cursor=abc'), 400, 'request.invalid');
    expectError(await request(p.app).get('/webhook/endpoints?limit=0'), 400, 'request.invalid');
  });

  it('changes what a PATCH names and nothing else; the appId stays', async () => {
    const { endpoint } = await p.createEndpoint({ appId: 'acme', url: 'https://a.example/hooks', description: 'old' });
    p.clock.advance(1000);
    const res = await request(p.app).patch(`/webhook/endpoints/${endpoint.id}`).send({ description: 'new', eventTypes: ['invoice.*'], rateLimit: 5 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ appId: 'acme', url: 'https://a.example/hooks', description: 'new', eventTypes: ['invoice.*'], rateLimit: 5 });
    expect(res.body.updatedAt).not.toBe(endpoint.createdAt);
    expect((await request(p.app).get(`/webhook/endpoints/${endpoint.id}`)).body).toEqual(res.body);
    expectError(await request(p.app).patch(`/webhook/endpoints/${endpoint.id}`).send({ appId: 'globex' }), 400, 'request.invalid');
  });

  it('names every bad field of a PATCH in a 400 and changes nothing', async () => {
    const { endpoint } = await p.createEndpoint({ url: 'https://a.example/hooks' });
    const res = await request(p.app).patch(`/webhook/endpoints/${endpoint.id}`).send({ url: 'nope', enabled: 1, eventTypes: 'invoice.*' });
    expectError(res, 400, 'request.invalid');
    for (const field of ['url', 'enabled', 'eventTypes']) expect(res.body.error.message).toContain(`${field}:`);
    expect((await request(p.app).get(`/webhook/endpoints/${endpoint.id}`)).body).toEqual(endpoint);
    expectError(await request(p.app).get(`/webhook/endpoints/${endpoint.id}/recover/rcv_none`), 404, 'not_found');
  });

  it('deletes an endpoint: 204, then 404 everywhere', async () => {
    const { endpoint } = await p.createEndpoint({ url: 'https://a.example/hooks' });
    expect((await request(p.app).delete(`/webhook/endpoints/${endpoint.id}`)).status).toBe(204);
    expectError(await request(p.app).delete(`/webhook/endpoints/${endpoint.id}`), 404, 'not_found');
    expectError(await request(p.app).get(`/webhook/endpoints/${endpoint.id}`), 404, 'not_found');
    expect((await p.publish({ eventType: 'x', payload: 1 })).body.deliveries).toEqual([]);
  });

  it.each([
    ['get', '/webhook/endpoints/ep_none'],
    ['patch', '/webhook/endpoints/ep_none'],
    ['get', '/webhook/endpoints/ep_none/secret'],
    ['post', '/webhook/endpoints/ep_none/secret/rotate'],
    ['get', '/webhook/endpoints/ep_none/stats'],
    ['get', '/webhook/endpoints/ep_none/deliveries'],
    ['post', '/webhook/endpoints/ep_none/recover'],
    ['get', '/webhook/endpoints/ep_none/recover/rcv_none'],
  ] as const)('answers 404 for %s %s', async (method, path) => {
    const body = method === 'post' && path.endsWith('recover') ? { since: '2026-01-01T00:00:00Z' } : {};
    expectError(await request(p.app)[method](path).send(body), 404, 'not_found');
  });
});

describe('access rules', () => {
  it('keeps the endpoint and event routes behind the admin token and the CSRF rule', async () => {
    const p = providerApp({ env: { ADMIN_TOKEN: 'a-long-admin-token-for-tests' } });
    try {
      for (const [method, path] of [
        ['post', '/webhook/endpoints'],
        ['get', '/webhook/endpoints'],
        ['post', '/webhook/events'],
        ['post', '/webhook/endpoints/ep_1/secret/rotate'],
      ] as const) {
        expect((await request(p.app)[method](path).send({})).status).toBe(401);
        const crossSite = await request(p.app)[method](path).set('authorization', 'Bearer a-long-admin-token-for-tests').set('sec-fetch-site', 'cross-site').send({});
        if (method === 'post') expectError(crossSite, 403, 'csrf.rejected');
      }
      const ok = await request(p.app).post('/webhook/endpoints').set('authorization', 'Bearer a-long-admin-token-for-tests').send({ url: 'https://a.example/x' });
      expect(ok.status).toBe(201);
    } finally {
      await p.close();
    }
  });
});
