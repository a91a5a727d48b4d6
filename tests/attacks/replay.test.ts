import { createHmac } from 'node:crypto';
import request from 'supertest';
import { replayKeys } from '../../src/signature/replay-keys';
import { signStandard } from '../../src/signature/standard';
import { appWithClock, receive } from '../helpers/app';
import { TEST_SCHEME_SECRETS } from '../helpers/deps';
import { referenceHeaders } from '../helpers/reference-sign';

/**
 * Issue 11: a duplicate is recognised from what was signed, never from how the signature header is spelt,
 * and an id the signature does not cover can never suppress another scheme's event.
 */

const NEW = 'rotation-new-secret';
const OLD = 'rotation-old-secret';
const STD_NEW = 'whsec_bmV3LXNlY3JldC1ieXRlcy1mb3ItdGhlLXRlc3Rz';
const STD_OLD = 'whsec_b2xkLXNlY3JldC1ieXRlcy1mb3ItdGhlLXRlc3Rz';
const hex = (secret: string, content: string): string => createHmac('sha256', secret).update(content).digest('hex');

describe('a request signed with a rotated pair (signAll), replayed one signature at a time', () => {
  it('native: each signature alone, or re-spelt, is a duplicate of the original, never a new event', async () => {
    const { app, clock } = appWithClock({ WEBHOOK_SECRET: `${NEW},${OLD}` });
    const t = String(Math.floor(clock.now() / 1000));
    const body = '{"order":1}';
    const both = `sha256=${hex(NEW, `${t}.${body}`)},sha256=${hex(OLD, `${t}.${body}`)}`;
    const base = { 'content-type': 'application/json', 'x-webhook-timestamp': t, 'x-webhook-event': 'order.paid' };

    const first = await receive(app, body, { ...base, 'x-webhook-signature': both });
    const replays = [
      `sha256=${hex(OLD, `${t}.${body}`)}`,
      `sha256=${hex(NEW, `${t}.${body}`)}`,
      hex(OLD, `${t}.${body}`).toUpperCase(),
      `sha256=${'0'.repeat(64)} ${hex(OLD, `${t}.${body}`)}`,
    ];
    const answers = [];
    for (const signature of replays) answers.push((await receive(app, body, { ...base, 'x-webhook-signature': signature })).body);

    expect(first.body).toMatchObject({ duplicate: false });
    for (const answer of answers) expect(answer).toEqual({ received: true, id: first.body.id, duplicate: true });
    expect((await request(app).get('/webhook/history?status=accepted')).body.items).toHaveLength(1);
  });

  it('standard: the second v1 signature alone, even with a new svix- spelling of the headers, is a duplicate', async () => {
    const { app, clock } = appWithClock({ STANDARD_WEBHOOK_SECRET: `${STD_NEW},${STD_OLD}` });
    const t = Math.floor(clock.now() / 1000);
    const body = '{"type":"invoice.paid"}';
    const sign = (secret: string): string => signStandard(secret, 'msg_1', t, body);
    const headers = (prefix: string, signature: string) => ({ 'content-type': 'application/json', [`${prefix}id`]: 'msg_1', [`${prefix}timestamp`]: String(t), [`${prefix}signature`]: signature });

    const first = await receive(app, body, headers('webhook-', `${sign(STD_NEW)} ${sign(STD_OLD)}`));
    const second = await receive(app, body, headers('svix-', sign(STD_OLD)));

    expect(first.body).toEqual({ received: true, id: 'msg_1', duplicate: false });
    expect(second.body).toEqual({ received: true, id: 'msg_1', duplicate: true });
  });

  it('stripe: the second v1= alone is a duplicate', async () => {
    const { app, clock } = appWithClock({ STRIPE_WEBHOOK_SECRET: `${NEW},${OLD}` });
    const t = String(Math.floor(clock.now() / 1000));
    const body = '{"id":"evt_stripe_pair","type":"invoice.paid"}';
    const header = (...secrets: string[]): Record<string, string> => ({
      'content-type': 'application/json',
      'stripe-signature': [`t=${t}`, ...secrets.map((s) => `v1=${hex(s, `${t}.${body}`)}`)].join(','),
    });

    await receive(app, body, header(NEW, OLD)).expect(200);
    const replay = await receive(app, body, header(OLD));

    expect(replay.body).toEqual({ received: true, id: 'evt_stripe_pair', duplicate: true });
  });
});

describe('an id the signature does not cover', () => {
  it('changed on a captured native request, does not make it a new event', async () => {
    const { app, clock } = appWithClock();
    const body = '{"n":1}';
    const headers = referenceHeaders('native', body, { secret: TEST_SCHEME_SECRETS.native, nowMs: clock.now(), id: 'evt_real' });

    await receive(app, body, headers).expect(200);
    const replay = await receive(app, body, { ...headers, 'x-webhook-id': 'evt_forged' });

    expect(replay.body).toEqual({ received: true, id: 'evt_real', duplicate: true });
    expect((await request(app).get('/webhook/history/evt_forged')).status).toBe(404);
  });

  it('changed on a captured GitHub request (no timestamp), does not make it a new event while the body is remembered', async () => {
    const { app, clock } = appWithClock();
    const body = '{"zen":"hi"}';
    const headers = referenceHeaders('github', body, { secret: TEST_SCHEME_SECRETS.github, nowMs: clock.now(), id: 'delivery-1' });

    await receive(app, body, headers).expect(200);
    clock.advance(3_600_000); // an hour later: GitHub signs no timestamp, so the signature still verifies
    const replay = await receive(app, body, { ...headers, 'x-github-delivery': 'delivery-2' });

    expect(replay.body).toEqual({ received: true, id: 'delivery-1', duplicate: true });
  });

  it.each([
    ['native', 'github'],
    ['github', 'native'],
    ['native', 'standard'],
    ['github', 'stripe'],
  ] as const)('claimed by a %s request, never suppresses the %s event that really has it', async (claimer, victim) => {
    const { app, clock } = appWithClock();
    const claim = JSON.stringify({ id: 'evt_shared', type: 'claim', n: 1 });
    const real = JSON.stringify({ id: 'evt_shared', type: 'real', n: 2 });
    const sign = (scheme: typeof claimer | typeof victim, body: string) =>
      referenceHeaders(scheme, body, { secret: TEST_SCHEME_SECRETS[scheme], nowMs: clock.now(), id: 'evt_shared', event: 'x' });

    const claimed = await receive(app, claim, sign(claimer, claim));
    const victimAnswer = await receive(app, real, sign(victim, real));

    expect(claimed.body).toEqual({ received: true, id: 'evt_shared', duplicate: false });
    expect(victimAnswer.status).toBe(200);
    expect(victimAnswer.body.duplicate).toBe(false);
    // The id is taken by the first entry: the second gets a fresh one, and its answer finds it.
    expect(victimAnswer.body.id).not.toBe('evt_shared');
    const entry = await request(app).get(`/webhook/history/${victimAnswer.body.id}`);
    expect(entry.body).toMatchObject({ scheme: victim, payload: JSON.parse(real) });
    expect((await request(app).get('/webhook/history/evt_shared')).body).toMatchObject({ scheme: claimer });
    // And the victim's own retries are duplicates of its own entry, not of the claimer's.
    clock.advance(60_000);
    const retry = await receive(app, real, sign(victim, real));
    expect(retry.body).toEqual({ received: true, id: victimAnswer.body.id, duplicate: true });
  });
});

describe('an id sent by two schemes at the same moment', () => {
  it.each([
    ['native', 'github'],
    ['github', 'stripe'],
  ] as const)('stores both the %s and the %s event, each under an id its answer finds', async (first, second) => {
    const { app, clock } = appWithClock();
    const bodies = { [first]: JSON.stringify({ id: 'evt_race', type: 'x', from: first }), [second]: JSON.stringify({ id: 'evt_race', type: 'x', from: second }) };
    const sign = (scheme: typeof first | typeof second) =>
      referenceHeaders(scheme, bodies[scheme]!, { secret: TEST_SCHEME_SECRETS[scheme], nowMs: clock.now(), id: 'evt_race', event: 'x' });

    // Both in flight together: one store call each decides duplicate / own id / fresh id (history/store.ts).
    const answers = await Promise.all([receive(app, bodies[first]!, sign(first)), receive(app, bodies[second]!, sign(second))]);

    expect(answers.map((a) => [a.status, a.body.duplicate])).toEqual([
      [200, false],
      [200, false],
    ]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(2);
    expect(answers.map((a) => a.body.id)).toContain('evt_race');
    for (const [i, scheme] of [first, second].entries()) {
      expect((await request(app).get(`/webhook/history/${answers[i]!.body.id}`)).body).toMatchObject({ scheme, payload: { from: scheme } });
    }
  });
});

describe('replayKeys', () => {
  it('names the signed content and the scheme-scoped id, never a signature value', () => {
    const keys = replayKeys('github', { ok: true, signedContent: 'abc' }, { eventId: 'd-1' });
    expect(keys).toEqual(['github:signed:abc', 'github:id:d-1']);
  });

  it('has no id key when the sender gave no id', () => {
    expect(replayKeys('native', { ok: true, signedContent: 'abc', timestamp: 1 }, {})).toEqual(['native:signed:abc']);
  });
});
