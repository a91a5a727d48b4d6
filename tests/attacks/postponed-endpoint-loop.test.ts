import request from 'supertest';
import { failSecretReads, providerApp, type ProviderApp } from '../helpers/endpoints';

/**
 * A delivery whose endpoint cannot be read is postponed, not failed, and no attempt is counted: nothing bounds
 * how often that repeats. With SEND_BASE_DELAY_MS=0 (a valid setting) the postponement was due at once, so a
 * store that stays unreadable made the loop spin on one delivery (an error line each turn) without time passing.
 */
describe('a delivery postponed because its endpoint cannot be read', () => {
  let p: ProviderApp;
  beforeEach(() => {
    p = providerApp({ backend: 'memory', env: { SEND_MAX_ATTEMPTS: '1', SEND_BASE_DELAY_MS: '0', SEND_MAX_DELAY_MS: '0' } });
  });
  afterEach(() => p.close());

  it('waits at least a second between tries, even with SEND_BASE_DELAY_MS=0', async () => {
    await p.createEndpoint({ url: 'https://customer.example/hooks' });
    // Bounded, so that the test ends even while the loop spins.
    const failures = failSecretReads(p.deps.endpointStore, 5);
    const startedMs = p.clock.now();
    const res = await p.publish({ eventType: 'order.paid', payload: { n: 1 } });
    expect(failures.remaining()).toBe(0);
    const delivery = await request(p.app).get(`/webhook/deliveries/${res.body.deliveries[0].deliveryId}`);
    expect(delivery.body).toMatchObject({ status: 'delivered' });
    expect(Date.parse(delivery.body.attempts[0].startedAt) - startedMs).toBeGreaterThanOrEqual(5 * 1000);
  });
});
