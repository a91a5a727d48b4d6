import { createHmac } from 'node:crypto';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../src/config';
import { parseStandardKey } from '../../src/signature/standard';
import { SCHEME_NAMES, type SchemeName } from '../../src/signature/types';
import { appWithClock, receive } from '../helpers/app';
import { TEST_SCHEME_SECRETS } from '../helpers/deps';

/**
 * Issue 11, as an attacker tries it: take a signature a server's secret made in one scheme and present it in
 * another, where the signed content is the same bytes. With one secret for every scheme this worked (a native
 * webhook re-sent as GitHub never expires); with a secret per scheme it must fail in every direction.
 */

/** Key bytes as each scheme derives them from its secret (SPEC.md section 1). */
const keyOf = (scheme: SchemeName, secret: string): Buffer => (scheme === 'standard' ? parseStandardKey(secret)! : Buffer.from(secret, 'utf8'));

/** What a sender of `scheme` holding that scheme's test secret signs over `content`: the raw digest. */
const digestBy = (scheme: SchemeName, content: string): Buffer => createHmac('sha256', keyOf(scheme, TEST_SCHEME_SECRETS[scheme])).update(content).digest();

/**
 * A request of `scheme` whose signed content is exactly `content` = `<t>.<t>.{"n":1}`, which every scheme can
 * both sign and present: native and stripe read it as `<t>.<body>`, standard as `<id>.<t>.<body>`, github as
 * the body itself.
 */
function present(scheme: SchemeName, content: string, digest: Buffer, t: number): { body: string; headers: Record<string, string> } {
  const afterFirstDot = content.slice(content.indexOf('.') + 1);
  const text = { 'content-type': 'text/plain' };
  switch (scheme) {
    case 'native':
      return { body: afterFirstDot, headers: { ...text, 'x-webhook-timestamp': String(t), 'x-webhook-signature': `sha256=${digest.toString('hex')}` } };
    case 'stripe':
      return { body: afterFirstDot, headers: { ...text, 'stripe-signature': `t=${t},v1=${digest.toString('hex')}` } };
    case 'standard': {
      const body = afterFirstDot.slice(afterFirstDot.indexOf('.') + 1);
      return { body, headers: { ...text, 'webhook-id': String(t), 'webhook-timestamp': String(t), 'webhook-signature': `v1,${digest.toString('base64')}` } };
    }
    case 'github':
      return { body: content, headers: { ...text, 'x-hub-signature-256': `sha256=${digest.toString('hex')}`, 'x-github-delivery': 'd-1' } };
  }
}

const pairs = SCHEME_NAMES.flatMap((from) => SCHEME_NAMES.filter((to) => to !== from).map((to) => [from, to] as const));

describe('a signature made for one scheme, presented in another over the same signed bytes', () => {
  it.each(SCHEME_NAMES)('is accepted in its own scheme (%s): the forged requests below are well-formed', async (scheme) => {
    const { app, clock } = appWithClock();
    const t = Math.floor(clock.now() / 1000);
    const content = `${t}.${t}.{"n":1}`;
    const { body, headers } = present(scheme, content, digestBy(scheme, content), t);

    const res = await receive(app, body, headers);

    expect(res.status).toBe(200);
  });

  it.each(pairs)('made by %s, is refused as %s with signature.mismatch', async (from, to) => {
    const { app, clock } = appWithClock();
    const t = Math.floor(clock.now() / 1000);
    const content = `${t}.${t}.{"n":1}`;
    const { body, headers } = present(to, content, digestBy(from, content), t);

    const res = await receive(app, body, headers);

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.mismatch');
  });

  it('cannot be set up by giving two schemes one secret: start-up stops, naming both variables', () => {
    expect(() => loadConfig({ WEBHOOK_SECRET: 'shared-secret', GITHUB_WEBHOOK_SECRET: 'other,shared-secret' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_SECRET: 'shared-secret', GITHUB_WEBHOOK_SECRET: 'other,shared-secret' })).toThrow(/WEBHOOK_SECRET and GITHUB_WEBHOOK_SECRET hold the same secret/);
  });

  it('cannot be set up with the same key bytes spelt differently (a standard whsec_ secret decoding to another scheme\'s secret)', () => {
    const spelt = `whsec_${Buffer.from('shared-secret').toString('base64')}`;
    expect(() => loadConfig({ STRIPE_WEBHOOK_SECRET: 'shared-secret', STANDARD_WEBHOOK_SECRET: spelt })).toThrow(/STANDARD_WEBHOOK_SECRET and STRIPE_WEBHOOK_SECRET hold the same secret/);
  });
});

describe('a scheme without a secret', () => {
  it.each([
    ['standard', 'STANDARD_WEBHOOK_SECRET'],
    ['stripe', 'STRIPE_WEBHOOK_SECRET'],
    ['github', 'GITHUB_WEBHOOK_SECRET'],
  ] as const)('is off: a %s request is refused 401 scheme.disabled naming %s, and recorded as rejected', async (scheme, variable) => {
    const { app, clock } = appWithClock({ [variable]: '' });
    const t = Math.floor(clock.now() / 1000);
    const content = `${t}.${t}.{"n":1}`;
    const { body, headers } = present(scheme, content, digestBy(scheme, content), t);

    const res = await receive(app, body, headers);

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('scheme.disabled');
    expect(res.body.error.message).toContain(variable);
    const rejected = await request(app).get('/webhook/history?status=rejected');
    expect(rejected.body.items).toEqual([expect.objectContaining({ scheme, verification: expect.objectContaining({ reason: 'scheme.disabled' }) })]);
  });

  it('leaves the other schemes on', async () => {
    const { app, clock } = appWithClock({ GITHUB_WEBHOOK_SECRET: '' });
    const t = Math.floor(clock.now() / 1000);
    const content = `${t}.${t}.{"n":1}`;
    const { body, headers } = present('stripe', content, digestBy('stripe', content), t);

    expect((await receive(app, body, headers)).status).toBe(200);
  });
});
