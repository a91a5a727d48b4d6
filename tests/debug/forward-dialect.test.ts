import request from 'supertest';
import { createApp } from '../../src/app';
import { forwardingNotice } from '../../src/sender/forward';
import type { DeliveryRecord } from '../../src/sender/delivery-store';
import type { SchemeName } from '../../src/signature/types';
import { makeDeps, TEST_SCHEME_SECRETS, testConfig } from '../helpers/deps';
import { referenceHeaders } from '../helpers/reference-sign';
import { githubVerify, verifyingApp } from '../helpers/verifying-app';

/** Receives `body` signed by the provider's reference signer, with FORWARD_URL at a verifying app; returns the forward once settled. */
async function forwardOnce(scheme: SchemeName, body: string, appSecret: string, env: Record<string, string> = {}, extra: { id?: string; event?: string } = {}) {
  const app = await verifyingApp(scheme, appSecret);
  const deps = makeDeps({ env: { FORWARD_URL: app.url, ...env } });
  const server = createApp(deps);
  const headers = referenceHeaders(scheme, body, { secret: TEST_SCHEME_SECRETS[scheme], nowMs: Date.now(), ...extra });
  const received = await request(server).post('/webhook/receive').set(headers).send(body);
  expect(received.status).toBe(200);
  let delivery: DeliveryRecord | undefined;
  for (let turn = 0; turn < 1000 && !delivery; turn += 1) {
    delivery = (await deps.deliveries.list({ limit: 10 })).items[0];
    if (!delivery) await new Promise((resolve) => setImmediate(resolve));
  }
  const settled = await deps.sender.settled(delivery!.id);
  await app.close();
  return { app, settled, historyId: received.body.id as string, server };
}

describe('FORWARD_URL forwards in the dialect a webhook arrived in', () => {
  it('the GitHub oracle passes the spec known-answer vector', () => {
    expect(githubVerify("It's a Secret to Everybody", 'Hello, World!', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17')).toBe(true);
    expect(githubVerify("It's a Secret to Everybody", 'Hello, World!\n', 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17')).toBe(false);
  });

  it('a Stripe event verifies with stripe.webhooks.constructEvent and the same STRIPE_WEBHOOK_SECRET', async () => {
    const body = '{"id":"evt_fwd_stripe","object":"event","type":"payment_intent.succeeded","data":{"object":{"amount":2000}}}';
    const { app, settled, historyId } = await forwardOnce('stripe', body, TEST_SCHEME_SECRETS.stripe);

    expect(settled.status).toBe('delivered');
    expect(settled.scheme).toBe('stripe');
    expect(settled.source).toEqual({ kind: 'forward', historyId });
    expect(app.verified).toHaveLength(1);
    expect(app.verified[0]!.event).toMatchObject({ id: 'evt_fwd_stripe', type: 'payment_intent.succeeded' });
    expect(app.verified[0]!.body.toString()).toBe(body);
    // The app's answer is on the forward: status, time and the first bytes of its body.
    expect(settled.attempts[0]).toMatchObject({ statusCode: 200, responseBody: '{"ok":true,"from":"the app"}', durationMs: expect.any(Number) });
  });

  it('a GitHub delivery verifies with the GitHub secret and keeps X-GitHub-Event and X-GitHub-Delivery', async () => {
    const body = '{"zen":"Keep it logically awesome.","hook_id":1}';
    const { app, settled } = await forwardOnce('github', body, TEST_SCHEME_SECRETS.github, {}, { event: 'ping', id: 'a1b2c3d4-0000-4000-8000-000000000001' });

    expect(settled.status).toBe('delivered');
    expect(app.verified).toHaveLength(1);
    expect(app.verified[0]!.headers['x-github-event']).toBe('ping');
    expect(app.verified[0]!.headers['x-github-delivery']).toBe('a1b2c3d4-0000-4000-8000-000000000001');
    expect(app.verified[0]!.headers['x-webhook-signature']).toBeUndefined();
  });

  it('a Standard Webhooks message verifies with the standardwebhooks library and keeps its webhook-id', async () => {
    const body = '{"type":"invoice.paid","timestamp":"2026-01-01T00:00:00Z","data":{"amount":4200}}';
    const { app, settled } = await forwardOnce('standard', body, TEST_SCHEME_SECRETS.standard, {}, { id: 'msg_fwd_standard' });

    expect(settled.status).toBe('delivered');
    expect(app.verified[0]!.headers['webhook-id']).toBe('msg_fwd_standard');
    expect(app.verified[0]!.event).toEqual(JSON.parse(body));
  });

  it('signs with FORWARD_SECRET instead when it is set, so the app verifies with that one', async () => {
    const forwardSecret = 'whsec_forward-only-secret';
    const body = '{"id":"evt_fwd_secret","object":"event","type":"charge.refunded","data":{"object":{}}}';
    const { app, settled } = await forwardOnce('stripe', body, forwardSecret, { FORWARD_SECRET: forwardSecret });

    expect(settled.status).toBe('delivered');
    expect(app.verified).toHaveLength(1);
  });

  it('an app holding another secret refuses the forward, and the delivery shows its 400', async () => {
    const body = '{"id":"evt_fwd_wrong","object":"event","type":"charge.refunded","data":{"object":{}}}';
    const { app, settled } = await forwardOnce('stripe', body, 'whsec_not-the-configured-one', { SEND_MAX_ATTEMPTS: '1' });

    expect(app.verified).toHaveLength(0);
    expect(settled.status).toBe('failed');
    expect(settled.attempts[0]).toMatchObject({ statusCode: 400, responseBody: '{"ok":false}' });
  });
});

describe('the start-up notice about forwarding', () => {
  it('names the URL and, per scheme that is on, the variable whose secret verifies forwards, never a value', () => {
    const config = testConfig({ FORWARD_URL: 'http://localhost:4000/hooks', GITHUB_WEBHOOK_SECRET: '' });
    const notice = forwardingNotice({ ...config, forwardSecretSet: false });

    expect(notice).toEqual({
      forwardUrl: 'http://localhost:4000/hooks',
      verifyWith: { native: 'WEBHOOK_SECRET (its first secret)', standard: 'STANDARD_WEBHOOK_SECRET (its first secret)', stripe: 'STRIPE_WEBHOOK_SECRET (its first secret)' },
    });
    expect(JSON.stringify(notice)).not.toContain(TEST_SCHEME_SECRETS.stripe);
    expect(forwardingNotice({ ...config, forwardSecretSet: true })!.verifyWith.stripe).toBe('FORWARD_SECRET');
    expect(forwardingNotice({ ...testConfig(), forwardSecretSet: false })).toBeUndefined();
  });
});

describe('POST /webhook/send with scheme stripe or github', () => {
  it.each([
    ['stripe', TEST_SCHEME_SECRETS.stripe],
    ['github', TEST_SCHEME_SECRETS.github],
  ] as const)('sends a %s webhook its provider library verifies', async (scheme, secret) => {
    const app = await verifyingApp(scheme, secret);
    const server = createApp(makeDeps());
    const res = await request(server)
      .post('/webhook/send?wait=true')
      .send({ url: app.url, eventType: 'customer.created', payload: { name: 'Zoë' }, scheme, eventId: 'evt_send_1' });
    await app.close();

    expect(res.status).toBe(200);
    expect(app.verified).toHaveLength(1);
    if (scheme === 'stripe') expect(app.verified[0]!.event).toMatchObject({ id: 'evt_send_1', type: 'customer.created', data: { object: { name: 'Zoë' } } });
    else {
      expect(app.verified[0]!.event).toEqual({ name: 'Zoë' });
      expect(app.verified[0]!.headers).toMatchObject({ 'x-github-event': 'customer.created', 'x-github-delivery': 'evt_send_1' });
    }
  });

  it('refuses another scheme name with 400 naming the four', async () => {
    const res = await request(createApp(makeDeps())).post('/webhook/send').send({ url: 'http://localhost:1/x', eventType: 'a', payload: {}, scheme: 'slack' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/"native", "standard", "stripe" or "github"/);
  });
});
