import request from 'supertest';
import { providerApp, type ProviderApp } from '../helpers/endpoints';

/**
 * An endpoint's extra headers go on every delivery to it, beside the signature headers the server writes. The
 * scheme's own are reserved, and the spread order keeps them the server's; but another scheme's signature or id
 * headers beside them make a receiver that reads those (svix's library reads `svix-id` before `webhook-id`)
 * verify something else, and headers the HTTP client refuses (`upgrade`, `expect`, `keep-alive`, ...) made
 * every attempt fail as a network error, retried to the end, instead of a 400 when the endpoint is set up.
 */
describe('extra headers of an endpoint', () => {
  let p: ProviderApp;
  beforeEach(() => {
    p = providerApp();
  });
  afterEach(() => p.close());

  it.each([
    'svix-id',
    'svix-timestamp',
    'svix-signature',
    'stripe-signature',
    'X-Hub-Signature-256',
    'upgrade',
    'expect',
    'keep-alive',
    'te',
    'trailer',
    'proxy-connection',
    'content-encoding',
  ])('refuses %s at creation and on PATCH, naming the field', async (name) => {
    const created = await request(p.app)
      .post('/webhook/endpoints')
      .send({ url: 'https://a.example/hooks', scheme: 'standard', headers: { [name]: 'v1,Zm9v' } });
    expect(created.status).toBe(400);
    expect(created.body.error.code).toBe('request.invalid');
    expect(created.body.error.message).toContain('headers:');

    const { endpoint } = await p.createEndpoint({ url: 'https://a.example/hooks', scheme: 'standard' });
    const patched = await request(p.app).patch(`/webhook/endpoints/${endpoint.id}`).send({ headers: { [name]: 'x' } });
    expect(patched.status).toBe(400);
    expect(patched.body.error.code).toBe('request.invalid');
  });

  it.each([
    ['a line feed', 'a\nb'],
    ['a carriage return', 'a\rb'],
    ['NUL', 'a\u0000b'],
    ['another control character', 'a\u0001b'],
    ['DEL', 'a\u007fb'],
  ])('refuses a value with %s, which undici would refuse at every attempt', async (_what, value) => {
    const res = await request(p.app).post('/webhook/endpoints').send({ url: 'https://a.example/hooks', headers: { 'x-tenant': value } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('control character');
  });

  it('still sends an allowed header, with the signature headers the server wrote', async () => {
    await p.createEndpoint({ url: 'https://a.example/hooks', scheme: 'standard', headers: { 'X-Tenant': 't1', 'x-tabbed': 'a\tb' } });
    await p.publish({ eventType: 'order.paid', payload: { n: 1 } }).then((res) => expect(res.status).toBe(202));
    expect(p.calls).toHaveLength(1);
    expect(p.calls[0]!.headers.get('x-tenant')).toBe('t1');
    expect(p.calls[0]!.headers.get('x-tabbed')).toBe('a\tb');
    expect(p.calls[0]!.headers.get('webhook-signature')).toMatch(/^v1,/);
    expect(p.calls[0]!.headers.get('svix-signature')).toBeNull();
  });
});
