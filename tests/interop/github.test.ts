import request from 'supertest';
import { appWithClock, receive } from '../helpers/app';
import { referenceHeaders } from '../helpers/reference-sign';

// GitHub publishes no signing library; referenceHeaders computes the HMAC exactly as its documentation does.
const SECRET = "It's a Secret to Everybody";
const env = { GITHUB_WEBHOOK_SECRET: SECRET };
const body = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'octo-org/hello-world' } });

describe('GitHub senders', () => {
  it('are accepted, with the id from X-GitHub-Delivery and the type from X-GitHub-Event, recorded as github', async () => {
    const { app, clock } = appWithClock(env);
    const headers = referenceHeaders('github', body, { secret: SECRET, nowMs: clock.now(), id: 'delivery-1', event: 'push' });

    const res = await receive(app, body, headers);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, id: 'delivery-1', duplicate: false });
    const entry = await request(app).get('/webhook/history/delivery-1');
    expect(entry.body).toMatchObject({ scheme: 'github', eventType: 'push', status: 'accepted' });
    expect(entry.body.headers['x-hub-signature-256']).toBe('[redacted]');
  });

  it('are accepted with the known-answer body and signature from the GitHub documentation', async () => {
    const { app } = appWithClock(env);
    const headers = {
      'content-type': 'text/plain',
      'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
      'x-github-delivery': 'delivery-doc',
      'x-github-event': 'ping',
    };

    const res = await receive(app, 'Hello, World!', headers);

    expect(res.status).toBe(200);
    expect(res.body.id).toBe('delivery-doc');
  });

  it('are rejected with signature.mismatch when the body was tampered with', async () => {
    const { app, clock } = appWithClock(env);
    const headers = referenceHeaders('github', body, { secret: SECRET, nowMs: clock.now() });

    const res = await receive(app, body.replace('main', 'evil'), headers);

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.mismatch');
  });

  it('are rejected with signature.mismatch when signed with another secret', async () => {
    const { app, clock } = appWithClock(env);

    const res = await receive(app, body, referenceHeaders('github', body, { secret: 'not it', nowMs: clock.now() }));

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.mismatch');
  });

  it('are accepted long after signing, because GitHub signs no timestamp', async () => {
    const { app, clock } = appWithClock(env);
    const headers = referenceHeaders('github', body, { secret: SECRET, nowMs: clock.now(), id: 'delivery-late' });
    clock.advance(3_600_000);

    const res = await receive(app, body, headers);

    expect(res.status).toBe(200);
  });

  it('are answered duplicate:true when a redelivery reuses X-GitHub-Delivery', async () => {
    const { app, clock } = appWithClock(env);
    const headers = referenceHeaders('github', body, { secret: SECRET, nowMs: clock.now(), id: 'delivery-again' });
    await receive(app, body, headers).expect(200);

    const again = await receive(app, body, headers);

    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: true, id: 'delivery-again', duplicate: true });
  });

  it('are answered duplicate:true when the same signed body is replayed under a new delivery id', async () => {
    const { app, clock } = appWithClock(env);
    await receive(app, body, referenceHeaders('github', body, { secret: SECRET, nowMs: clock.now(), id: 'delivery-original' })).expect(200);

    const replay = await receive(app, body, referenceHeaders('github', body, { secret: SECRET, nowMs: clock.now(), id: 'delivery-forged' }));

    expect(replay.body).toEqual({ received: true, id: 'delivery-original', duplicate: true });
  });
});
