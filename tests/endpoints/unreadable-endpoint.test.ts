import request from 'supertest';
import { failSecretReads, nativeVerifies, providerApp, type Backend, type ProviderApp } from '../helpers/endpoints';

/**
 * Every attempt of an endpoint's delivery reads the endpoint (sender/delivery-target.ts). A store that cannot
 * be read at that moment (a database restarting) must not end the delivery as failed: it waits and tries again,
 * and no attempt is counted for the one that was never made.
 */
describe.each<Backend>(['memory', 'sqlite'])('an endpoint that cannot be read at attempt time (%s)', (backend) => {
  let p: ProviderApp;
  // One attempt only: had the unreadable endpoint cost an attempt, or ended the delivery, nothing would arrive.
  beforeEach(() => {
    p = providerApp({ backend, env: { SEND_MAX_ATTEMPTS: '1', SEND_BASE_DELAY_MS: '1000', SEND_MAX_DELAY_MS: '1000' } });
  });
  afterEach(() => p.close());

  it('keeps the delivery pending and delivers it once the endpoint can be read again', async () => {
    const { secret } = await p.createEndpoint({ url: 'https://customer.example/hooks' });
    const failures = failSecretReads(p.deps.endpointStore, 1);
    const startedMs = p.clock.now();
    const res = await p.publish({ eventType: 'order.paid', payload: { n: 1 } });
    expect(res.status).toBe(202);
    expect(failures.remaining()).toBe(0); // the lookup did fail once

    const delivery = await request(p.app).get(`/webhook/deliveries/${res.body.deliveries[0].deliveryId}`);
    expect(delivery.body).toMatchObject({ status: 'delivered', error: null });
    expect(delivery.body.attempts).toHaveLength(1);
    // Tried again after the first retry delay (1 s, jitter at 0.5 is none), not at once in a loop.
    expect(Date.parse(delivery.body.attempts[0].startedAt) - startedMs).toBeGreaterThanOrEqual(1000);
    expect(p.calls).toHaveLength(1);
    expect(p.calls[0]!.url).toBe('https://customer.example/hooks');
    expect(nativeVerifies(secret, p.calls[0]!)).toBe(true);
  });
});
