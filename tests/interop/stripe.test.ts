import request from 'supertest';
import { appWithClock, receive } from '../helpers/app';
import { NEW_SECRET, referenceHeaders } from '../helpers/reference-sign';

// Signed by Stripe's own library (`stripe.webhooks.generateTestHeaderString`). A Stripe secret looks like a
// Standard Webhooks one (`whsec_...`) but is keyed as plain text: these tests would fail if it were decoded.
const env = { STRIPE_WEBHOOK_SECRET: NEW_SECRET };
const event = (id: string): string => JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: { amount_paid: 4200 } } });

describe('Stripe senders', () => {
  it('are accepted, with the event id and type taken from the body, and the history records the stripe scheme', async () => {
    const { app, clock } = appWithClock(env);
    const body = event('evt_1');

    const res = await receive(app, body, referenceHeaders('stripe', body, { secret: NEW_SECRET, nowMs: clock.now() }));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, id: 'evt_1', duplicate: false });
    const entry = await request(app).get('/webhook/history/evt_1');
    expect(entry.body).toMatchObject({ scheme: 'stripe', eventType: 'invoice.paid', status: 'accepted' });
  });

  it('are rejected with signature.mismatch when the body was tampered with', async () => {
    const { app, clock } = appWithClock(env);
    const headers = referenceHeaders('stripe', event('evt_1'), { secret: NEW_SECRET, nowMs: clock.now() });

    const res = await receive(app, event('evt_2'), headers);

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.mismatch');
  });

  it('are rejected with signature.mismatch when signed with another secret', async () => {
    const { app, clock } = appWithClock(env);
    const body = event('evt_1');

    const res = await receive(app, body, referenceHeaders('stripe', body, { secret: 'whsec_wrong', nowMs: clock.now() }));

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.mismatch');
  });

  it('are rejected with timestamp.out_of_tolerance when signed more than 300 seconds ago', async () => {
    const { app, clock } = appWithClock(env);
    const body = event('evt_1');

    const res = await receive(app, body, referenceHeaders('stripe', body, { secret: NEW_SECRET, nowMs: clock.now() - 301_000 }));

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('timestamp.out_of_tolerance');
  });

  it('are answered duplicate:true when Stripe retries the same event id with a fresh signature', async () => {
    const { app, clock } = appWithClock(env);
    const body = event('evt_retry');
    await receive(app, body, referenceHeaders('stripe', body, { secret: NEW_SECRET, nowMs: clock.now() })).expect(200);
    clock.advance(120_000);

    const retry = await receive(app, body, referenceHeaders('stripe', body, { secret: NEW_SECRET, nowMs: clock.now() }));

    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ received: true, id: 'evt_retry', duplicate: true });
    expect((await request(app).get('/webhook/history/evt_retry')).body.duplicates).toBe(1);
  });

  it('are not mistaken for duplicates when two events differ only in their id', async () => {
    const { app, clock } = appWithClock(env);
    await receive(app, event('evt_a'), referenceHeaders('stripe', event('evt_a'), { secret: NEW_SECRET, nowMs: clock.now() })).expect(200);

    const res = await receive(app, event('evt_b'), referenceHeaders('stripe', event('evt_b'), { secret: NEW_SECRET, nowMs: clock.now() }));

    expect(res.body).toEqual({ received: true, id: 'evt_b', duplicate: false });
  });
});
