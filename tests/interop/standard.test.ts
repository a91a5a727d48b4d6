import request from 'supertest';
import { appWithClock, receive } from '../helpers/app';
import { NEW_SECRET, referenceHeaders } from '../helpers/reference-sign';

// Signed by the Standard Webhooks reference library (`standardwebhooks`), as Svix and its peers send.
const env = { STANDARD_WEBHOOK_SECRET: NEW_SECRET };
const body = JSON.stringify({ type: 'invoice.paid', timestamp: '2026-11-29T12:00:00Z', data: { amount: 4200 } });

describe('Standard Webhooks senders', () => {
  it('are accepted with webhook-* headers, and the history records the standard scheme', async () => {
    const { app, clock } = appWithClock(env);
    const headers = referenceHeaders('standard', body, { secret: NEW_SECRET, nowMs: clock.now(), id: 'msg_1' });

    const res = await receive(app, body, headers);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, id: 'msg_1', duplicate: false });
    const entry = await request(app).get('/webhook/history/msg_1');
    expect(entry.body).toMatchObject({ scheme: 'standard', eventType: 'invoice.paid', status: 'accepted', payload: JSON.parse(body) });
  });

  it('are accepted with svix-* headers, the event id taken from svix-id', async () => {
    const { app, clock } = appWithClock(env);
    const headers = referenceHeaders('standard', body, { secret: NEW_SECRET, nowMs: clock.now(), id: 'msg_svix', standardPrefix: 'svix-' });

    const res = await receive(app, body, headers);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, id: 'msg_svix', duplicate: false });
  });

  it('are rejected with signature.mismatch when the body was tampered with', async () => {
    const { app, clock } = appWithClock(env);
    const headers = referenceHeaders('standard', body, { secret: NEW_SECRET, nowMs: clock.now() });

    const res = await receive(app, body.replace('4200', '1'), headers);

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.mismatch');
  });

  it('are rejected with signature.mismatch when signed with another secret, and the rejection is recorded', async () => {
    const { app, clock } = appWithClock(env);
    const headers = referenceHeaders('standard', body, { secret: 'whsec_d3Jvbmctc2VjcmV0', nowMs: clock.now() });

    const res = await receive(app, body, headers);

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.mismatch');
    const rejected = await request(app).get('/webhook/history?status=rejected');
    expect(rejected.body.items).toEqual([expect.objectContaining({ scheme: 'standard', verification: expect.objectContaining({ reason: 'signature.mismatch' }) })]);
  });

  it('are rejected with timestamp.out_of_tolerance when signed more than 300 seconds ago', async () => {
    const { app, clock } = appWithClock(env);
    const headers = referenceHeaders('standard', body, { secret: NEW_SECRET, nowMs: clock.now() - 301_000 });

    const res = await receive(app, body, headers);

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('timestamp.out_of_tolerance');
  });

  it('are answered duplicate:true when a retry reuses the webhook-id with a fresh signature', async () => {
    const { app, clock } = appWithClock(env);
    await receive(app, body, referenceHeaders('standard', body, { secret: NEW_SECRET, nowMs: clock.now(), id: 'msg_retry' })).expect(200);
    clock.advance(60_000);

    const retry = await receive(app, body, referenceHeaders('standard', body, { secret: NEW_SECRET, nowMs: clock.now(), id: 'msg_retry' }));

    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ received: true, id: 'msg_retry', duplicate: true });
    const entry = await request(app).get('/webhook/history/msg_retry');
    expect(entry.body.duplicates).toBe(1);
  });

  it('treat the webhook- and svix- ids as one id space', async () => {
    const { app, clock } = appWithClock(env);
    await receive(app, body, referenceHeaders('standard', body, { secret: NEW_SECRET, nowMs: clock.now(), id: 'msg_both' })).expect(200);
    clock.advance(1_000);

    const res = await receive(app, body, referenceHeaders('standard', body, { secret: NEW_SECRET, nowMs: clock.now(), id: 'msg_both', standardPrefix: 'svix-' }));

    expect(res.body.duplicate).toBe(true);
  });
});
