import { createHmac } from 'node:crypto';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { createApp } from '../../src/app';
import { signNative } from '../../src/signature/native';
import { makeDeps, TEST_SCHEME_SECRETS } from '../helpers/deps';
import { recordingFetch } from '../helpers/fetch';
import { referenceHeaders } from '../helpers/reference-sign';
import { until } from '../helpers/async';

/** Everything that signs uses the right scheme's secrets (SPEC.md sections 1, 2 and 8). */

const SEND = { url: 'http://hooks.example.test/in', eventType: 'user.created', payload: { a: 1 } };

describe('POST /webhook/send', () => {
  it('signs standard with the first STANDARD_WEBHOOK_SECRET, which the reference library accepts, and not with WEBHOOK_SECRET', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch });

    const res = await request(createApp(deps)).post('/webhook/send?wait=true').send({ ...SEND, scheme: 'standard' });

    expect(res.status).toBe(200);
    const sent = requests[0]!;
    expect(() => new Webhook(TEST_SCHEME_SECRETS.standard).verify(sent.body.toString(), sent.headers)).not.toThrow();
    const nativeKeyed = `whsec_${Buffer.from(TEST_SCHEME_SECRETS.native).toString('base64')}`;
    expect(() => new Webhook(nativeKeyed).verify(sent.body.toString(), sent.headers)).toThrow();
  });

  it('signs native with the first WEBHOOK_SECRET', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch, env: { WEBHOOK_SECRET: 'native-first,native-second' } });

    await request(createApp(deps)).post('/webhook/send?wait=true').send(SEND).expect(200);

    const sent = requests[0]!;
    expect(sent.headers['x-webhook-signature']).toBe(signNative('native-first', sent.headers['x-webhook-timestamp']!, sent.body));
  });

  it('refuses standard with 400 scheme.disabled naming STANDARD_WEBHOOK_SECRET when it is not set, and sends nothing', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch, env: { STANDARD_WEBHOOK_SECRET: '' } });

    const res = await request(createApp(deps)).post('/webhook/send').send({ ...SEND, scheme: 'standard' });

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('scheme.disabled');
    expect(res.body.error.message).toContain('STANDARD_WEBHOOK_SECRET');
    expect(requests).toHaveLength(0);
  });

  it('signs standard with the request\'s own secret when STANDARD_WEBHOOK_SECRET is not set', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch, env: { STANDARD_WEBHOOK_SECRET: '' } });
    const secret = 'whsec_cmVxdWVzdC1vd24tc2VjcmV0LWJ5dGVz';

    await request(createApp(deps)).post('/webhook/send?wait=true').send({ ...SEND, scheme: 'standard', secret }).expect(200);

    expect(() => new Webhook(secret).verify(requests[0]!.body.toString(), requests[0]!.headers)).not.toThrow();
  });
});

describe('replay and forwarding', () => {
  it('a stripe event replayed as standard is signed with STANDARD_WEBHOOK_SECRET, never with the Stripe secret', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch });
    const app = createApp(deps);
    const body = JSON.stringify({ id: 'evt_stripe_1', type: 'invoice.paid' });
    await request(app).post('/webhook/receive').set(referenceHeaders('stripe', body, { secret: TEST_SCHEME_SECRETS.stripe, nowMs: Date.now() })).send(body).expect(200);

    await request(app).post('/webhook/history/evt_stripe_1/replay?wait=true').send({ url: 'http://replay.test/', scheme: 'standard' }).expect(200);

    expect(() => new Webhook(TEST_SCHEME_SECRETS.standard).verify(requests[0]!.body.toString(), requests[0]!.headers)).not.toThrow();
    expect(requests[0]!.headers['stripe-signature']).toBeUndefined();
  });

  it('a replay in standard without STANDARD_WEBHOOK_SECRET is refused with 400 scheme.disabled', async () => {
    const deps = makeDeps({ fetch: recordingFetch().fetch, env: { STANDARD_WEBHOOK_SECRET: '' } });
    const app = createApp(deps);
    const body = '{"n":1}';
    await request(app).post('/webhook/receive').set(referenceHeaders('native', body, { secret: TEST_SCHEME_SECRETS.native, nowMs: Date.now(), id: 'evt_n' })).send(body).expect(200);

    const res = await request(app).post('/webhook/history/evt_n/replay').send({ url: 'http://replay.test/', scheme: 'standard' });

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('scheme.disabled');
  });

  // Issue 16 / SPEC.md section 8: a forward is signed in the scheme it arrived in, with that scheme's own secret.
  it('FORWARD_URL signs a GitHub event in the github scheme with the GitHub secret, never with WEBHOOK_SECRET', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch, env: { FORWARD_URL: 'http://forward.test/' } });
    const app = createApp(deps);
    const body = '{"zen":"hi"}';
    await request(app).post('/webhook/receive').set(referenceHeaders('github', body, { secret: TEST_SCHEME_SECRETS.github, nowMs: Date.now(), id: 'gh-1' })).send(body).expect(200);

    await until(() => requests.length === 1);

    const sent = requests[0]!;
    expect(sent.headers['x-hub-signature-256']).toBe(`sha256=${createHmac('sha256', TEST_SCHEME_SECRETS.github).update(body).digest('hex')}`);
    expect(sent.headers['x-webhook-signature']).toBeUndefined();
    expect(sent.headers['x-github-delivery']).toBe('gh-1');
  });
});
