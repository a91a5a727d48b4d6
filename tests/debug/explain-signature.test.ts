import { createHash, createHmac } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../src/app';
import { makeDeps, TEST_SCHEME_SECRETS } from '../helpers/deps';

const NOW_MS = Date.UTC(2026, 10, 29, 12, 0, 0);
const SECONDS = Math.floor(NOW_MS / 1000);
const hmac = (key: string | Buffer, content: string): Buffer => createHmac('sha256', key).update(content).digest();

function app(env: Record<string, string> = {}) {
  const deps = makeDeps({ now: () => NOW_MS, env });
  return { deps, server: createApp(deps) };
}

/** Posts a request the server refuses; returns the 401's message and the rejected history entry. */
async function refused(headers: Record<string, string>, body: string, env: Record<string, string> = {}) {
  const { deps, server } = app(env);
  const res = await request(server).post('/webhook/receive').set({ 'content-type': 'application/json', ...headers }).send(body);
  expect(res.status).toBe(401);
  const [entry] = (await deps.history.list({ limit: 1, status: 'rejected' })).items;
  return { message: res.body.error.message as string, code: res.body.error.code as string, entry: entry! };
}

const nativeSigned = (content: string, secret: string = TEST_SCHEME_SECRETS.native) => `sha256=${hmac(secret, content).toString('hex')}`;

describe('a failed signature is explained', () => {
  it('names a trailing newline the sender did not sign', async () => {
    const signed = '{"a":1}';
    const { message, entry } = await refused({ 'x-webhook-timestamp': String(SECONDS), 'x-webhook-signature': nativeSigned(`${SECONDS}.${signed}`) }, `${signed}\n`);
    expect(message).toMatch(/trailing whitespace or a newline/);
    expect(entry.verification.explanation!.hint).toMatch(/trailing whitespace or a newline/);
  });

  it('names a body re-serialized compact', async () => {
    const sent = '{\n  "a": 1,\n  "b": [1, 2]\n}';
    const { message } = await refused({ 'x-webhook-timestamp': String(SECONDS), 'x-webhook-signature': nativeSigned(`${SECONDS}.{"a":1,"b":[1,2]}`) }, sent);
    expect(message).toMatch(/re-serialized compact/);
  });

  it('names a body re-serialized pretty', async () => {
    const sent = '{"id":"evt_1","type":"x"}';
    const pretty = JSON.stringify(JSON.parse(sent), null, 2);
    const header = `t=${SECONDS},v1=${hmac(TEST_SCHEME_SECRETS.stripe, `${SECONDS}.${pretty}`).toString('hex')}`;
    const { message } = await refused({ 'stripe-signature': header }, sent);
    expect(message).toMatch(/re-serialized pretty-printed/);
  });

  it('names a timestamp in milliseconds', async () => {
    const ms = String(NOW_MS);
    const body = '{"a":1}';
    const { code, message, entry } = await refused({ 'x-webhook-timestamp': ms, 'x-webhook-signature': nativeSigned(`${ms}.${body}`) }, body);
    expect(code).toBe('timestamp.out_of_tolerance');
    expect(message).toMatch(new RegExp(`${ms} is in milliseconds: send whole seconds since the epoch \\(${SECONDS}\\)`));
    expect(entry.verification.explanation!.hint).toMatch(/milliseconds/);
  });

  it('names a signature without its prefix', async () => {
    const body = '{"zen":"hi"}';
    const { message } = await refused(
      { 'x-hub-signature-256': hmac(TEST_SCHEME_SECRETS.github, body).toString('hex'), 'x-github-event': 'ping', 'x-github-delivery': 'd1' },
      body,
    );
    expect(message).toMatch(/lacks its prefix: write sha256=<signature> in x-hub-signature-256/);
  });

  it('names hex sent where base64 belongs', async () => {
    const body = '{"type":"a"}';
    const content = `msg_1.${SECONDS}.${body}`;
    const key = Buffer.from(TEST_SCHEME_SECRETS.standard.slice('whsec_'.length), 'base64');
    const { message } = await refused({ 'webhook-id': 'msg_1', 'webhook-timestamp': String(SECONDS), 'webhook-signature': `v1,${hmac(key, content).toString('hex')}` }, body);
    expect(message).toMatch(/encoded as hex: webhook-signature wants base64/);
  });

  it('names base64 sent where hex belongs', async () => {
    const body = '{"id":"evt_1","type":"x"}';
    const header = `t=${SECONDS},v1=${hmac(TEST_SCHEME_SECRETS.stripe, `${SECONDS}.${body}`).toString('base64')}`;
    const { message } = await refused({ 'stripe-signature': header }, body);
    expect(message).toMatch(/encoded as base64: stripe-signature wants hex/);
  });

  it('names a Stripe secret used without its whsec_ prefix', async () => {
    const secret = 'whsec_stripe-endpoint-secret';
    const body = '{"id":"evt_1","type":"x"}';
    const header = `t=${SECONDS},v1=${hmac('stripe-endpoint-secret', `${SECONDS}.${body}`).toString('hex')}`;
    const { message } = await refused({ 'stripe-signature': header }, body, { STRIPE_WEBHOOK_SECRET: secret });
    expect(message).toMatch(/the secret without its whsec_ prefix/);
  });

  it('names a secret with a whsec_ prefix added', async () => {
    const body = '{"a":1}';
    const { message } = await refused({ 'x-webhook-timestamp': String(SECONDS), 'x-webhook-signature': nativeSigned(`${SECONDS}.${body}`, `whsec_${TEST_SCHEME_SECRETS.native}`) }, body);
    expect(message).toMatch(/a whsec_ prefix added/);
  });

  it('names a Standard Webhooks secret keyed as text instead of its base64 bytes', async () => {
    const body = '{"type":"a"}';
    const signature = hmac(TEST_SCHEME_SECRETS.standard, `msg_2.${SECONDS}.${body}`).toString('base64');
    const { message } = await refused({ 'webhook-id': 'msg_2', 'webhook-timestamp': String(SECONDS), 'webhook-signature': `v1,${signature}` }, body);
    expect(message).toMatch(/the whole whsec_ string as text/);
  });

  it("names another scheme's variable when its secret signed, never the secret", async () => {
    const body = '{"zen":"hi"}';
    const { message, entry } = await refused(
      { 'x-hub-signature-256': `sha256=${hmac(TEST_SCHEME_SECRETS.native, body).toString('hex')}`, 'x-github-event': 'ping', 'x-github-delivery': 'd2' },
      body,
    );
    expect(message).toMatch(/the secret of WEBHOOK_SECRET, not GITHUB_WEBHOOK_SECRET/);
    expect(JSON.stringify(entry)).not.toContain(TEST_SCHEME_SECRETS.native);
  });

  it('always names the signed content, and keeps fingerprints (never secrets) out of the public 401', async () => {
    const body = '{"a":1}';
    const { message, entry } = await refused({ 'x-webhook-timestamp': String(SECONDS), 'x-webhook-signature': `sha256=${'ab'.repeat(32)}` }, body);
    expect(message).toContain(`Signed content: <X-Webhook-Timestamp>.<raw body>: "${SECONDS}." followed by the 7 raw body bytes`);
    expect(message).not.toMatch(/Likely cause/);
    const fingerprint = createHash('sha256').update(TEST_SCHEME_SECRETS.native).digest('hex').slice(0, 6);
    expect(message).not.toContain(fingerprint);
    expect(entry.verification.explanation!.secrets).toContainEqual({ variable: 'WEBHOOK_SECRET', fingerprints: [fingerprint] });
    for (const secret of Object.values(TEST_SCHEME_SECRETS)) expect(JSON.stringify(entry)).not.toContain(secret);
  });

  it('a hint never makes a request accepted: the same mistake is refused every time', async () => {
    const { deps, server } = app();
    const body = '{"a":1}\n';
    const headers = { 'content-type': 'application/json', 'x-webhook-timestamp': String(SECONDS), 'x-webhook-signature': nativeSigned(`${SECONDS}.{"a":1}`) };
    for (let i = 0; i < 3; i += 1) expect((await request(server).post('/webhook/receive').set(headers).send(body)).status).toBe(401);
    expect((await deps.history.list({ limit: 10, status: 'accepted' })).items).toHaveLength(0);
  });
});

describe('the cost of an explanation', () => {
  it(`computes at most MAX_EXPLAIN_HMACS HMACs for a request where every mistake must be tried`, async () => {
    // The CommonJS module object (what src/ calls through), not the ESM namespace, whose bindings are fixed.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require('node:crypto') as typeof import('node:crypto');
    const { explainSignatureFailure, MAX_EXPLAIN_HMACS } = await import('../../src/signature/explain');
    const { stripeScheme } = await import('../../src/signature/stripe');
    const secrets: Record<string, string[]> = { native: ['n-secret'], standard: [TEST_SCHEME_SECRETS.standard], stripe: ['whsec_stripe-secret'], github: ['g-secret'] };
    const spy = jest.spyOn(crypto, 'createHmac');
    try {
      const body = Buffer.from('{"id":"evt_1", "type":"x"}  \n');
      const explanation = explainSignatureFailure(stripeScheme, { 'stripe-signature': `t=${NOW_MS},v1=${'ab'.repeat(32)}` }, body, { secretsFor: (s) => secrets[s]!, nowSeconds: SECONDS });
      expect(explanation.hint).toBeUndefined();
      expect(spy.mock.calls.length).toBeGreaterThan(0);
      expect(spy.mock.calls.length).toBeLessThanOrEqual(MAX_EXPLAIN_HMACS);
      expect(MAX_EXPLAIN_HMACS).toBe(12);
    } finally {
      spy.mockRestore();
    }
  });
});
