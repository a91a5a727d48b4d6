import request from 'supertest';
import { providerApp, type ProviderApp } from '../helpers/endpoints';

/**
 * A URL with a user name and password (`https://user:pass@host/`) was accepted: the server's transport sends to
 * the origin and path only, so the password never reached the receiver, yet it was kept in clear in the
 * endpoint, in the delivery's `url` and now in every attempt's `url`, shown by the API and the page for good
 * (a PATCH to a new password left the old one in every earlier attempt). Refused with a 400 naming the fix.
 */
describe('a destination URL that holds credentials', () => {
  let p: ProviderApp;
  beforeEach(() => {
    p = providerApp({ backend: 'memory' });
  });
  afterEach(() => p.close());

  const withPassword = 'https://user:s3cr3t-pass@customer.example/hooks';

  it('is refused when an endpoint is created or changed, and nothing stores it', async () => {
    const created = await request(p.app).post('/webhook/endpoints').send({ url: withPassword });
    expect(created.status).toBe(400);
    expect(created.body.error.code).toBe('request.invalid');
    expect(JSON.stringify(created.body)).not.toContain('s3cr3t-pass');
    expect(created.body.error.message).toMatch(/headers/);

    const { endpoint } = await p.createEndpoint({ url: 'https://customer.example/hooks' });
    const patched = await request(p.app).patch(`/webhook/endpoints/${endpoint.id}`).send({ url: 'https://user:@customer.example/hooks' });
    expect(patched.status).toBe(400);
    const res = await p.publish({ eventType: 'order.paid', payload: { n: 1 } });
    const delivery = await request(p.app).get(`/webhook/deliveries/${res.body.deliveries[0].deliveryId}`);
    expect(delivery.body.attempts[0].url).toBe('https://customer.example/hooks');
  });

  it('is refused by /webhook/send', async () => {
    const res = await request(p.app).post('/webhook/send').send({ url: withPassword, eventType: 'a.b', payload: {}, secret: 'k' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).not.toContain('s3cr3t-pass');
  });
});
