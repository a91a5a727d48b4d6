import request from 'supertest';
import { appWithClock, receive } from '../helpers/app';

const body = JSON.stringify({ id: 'evt_1', type: 'user.created' });

describe('a request whose headers match no scheme', () => {
  it('is answered 401 signature.missing, naming every header looked for', async () => {
    const { app } = appWithClock();

    const res = await receive(app, body, { 'content-type': 'application/json', 'x-github-event': 'push', 'webhook-id': 'msg_1' });

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.missing');
    for (const header of ['x-webhook-signature', 'webhook-signature', 'svix-signature', 'stripe-signature', 'x-hub-signature-256']) {
      expect(res.body.error.message).toContain(header);
    }
  });

  it('is recorded as rejected with no scheme', async () => {
    const { app } = appWithClock();
    await receive(app, body, { 'content-type': 'application/json' });

    const rejected = await request(app).get('/webhook/history?status=rejected');

    expect(rejected.body.items).toEqual([expect.objectContaining({ scheme: null, verification: expect.objectContaining({ reason: 'signature.missing' }) })]);
  });

  it("is not rescued by GitHub's legacy sha1 header, which this server does not verify", async () => {
    const { app } = appWithClock();

    const res = await receive(app, body, { 'content-type': 'application/json', 'x-hub-signature': 'sha1=0000000000000000000000000000000000000000' });

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.missing');
  });
});
