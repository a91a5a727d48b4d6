import Stripe from 'stripe';
import { Webhook } from 'standardwebhooks';
import { buildSignedRequest, defaultNewId } from '../../src/cli/signed-request';
import { verifyWebhook } from '../../src/signature/verify';
import { SCHEME_NAMES, type SchemeName } from '../../src/signature/types';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NOW_MS = Date.UTC(2026, 10, 29, 12, 0, 0);
const body = JSON.stringify({ id: 'evt_cli', type: 'user.created', name: 'Zoë 🚀' });

/** Headers as Node hands them to the server: lower-case names. */
function asReceived(headers: readonly (readonly [string, string])[]): Record<string, string> {
  return Object.fromEntries(headers.map(([name, value]) => [name.toLowerCase(), value]));
}

describe('buildSignedRequest', () => {
  it.each(SCHEME_NAMES)('signs a %s request that our verifier accepts as that scheme', (scheme) => {
    const request = buildSignedRequest({ scheme, body, secret: SECRET }, NOW_MS);

    const { scheme: detected, result } = verifyWebhook(asReceived(request.headers), request.body, {
      secretsFor: () => [SECRET],
      nowSeconds: NOW_MS / 1000,
      toleranceSeconds: 300,
    });

    expect(detected?.name).toBe(scheme);
    expect(result.ok).toBe(true);
  });

  it('signs the exact UTF-8 bytes of the body it was given', () => {
    expect(buildSignedRequest({ scheme: 'github', body, secret: SECRET }, NOW_MS).body.equals(Buffer.from(body, 'utf8'))).toBe(true);
  });

  it('signs standard requests that the standardwebhooks reference library verifies', () => {
    const request = buildSignedRequest({ scheme: 'standard', body, secret: SECRET, id: 'msg_cli' }, Date.now());

    expect(new Webhook(SECRET).verify(request.body.toString('utf8'), asReceived(request.headers))).toEqual(JSON.parse(body));
  });

  it("signs stripe requests that Stripe's own library verifies", () => {
    const request = buildSignedRequest({ scheme: 'stripe', body, secret: SECRET }, Date.now());
    const header = asReceived(request.headers)['stripe-signature']!;

    expect(new Stripe('sk_test_cli').webhooks.constructEvent(request.body, header, SECRET).id).toBe('evt_cli');
  });

  it('uses the given id and event type for native requests', () => {
    const request = buildSignedRequest({ scheme: 'native', body, secret: SECRET, id: 'evt_given', event: 'order.paid' }, NOW_MS);

    expect(asReceived(request.headers)).toMatchObject({ 'x-webhook-id': 'evt_given', 'x-webhook-event': 'order.paid', 'x-webhook-timestamp': String(NOW_MS / 1000) });
    expect(request.eventId).toBe('evt_given');
  });

  it('generates an id when none is given', () => {
    const request = buildSignedRequest({ scheme: 'github', body, secret: SECRET }, NOW_MS, () => 'generated-id');

    expect(asReceived(request.headers)['x-github-delivery']).toBe('generated-id');
    expect(request.eventId).toBe('generated-id');
  });

  it.each<[SchemeName, RegExp]>([
    ['native', /^evt_[0-9a-f]{32}$/],
    ['standard', /^msg_[0-9a-f]{32}$/],
    ['github', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/],
  ])('generates %s ids in the shape that dialect uses', (scheme, shape) => {
    expect(defaultNewId(scheme)).toMatch(shape);
  });

  it("reports the stripe event id from the body, and notes when the body has none", () => {
    expect(buildSignedRequest({ scheme: 'stripe', body, secret: SECRET }, NOW_MS)).toMatchObject({ eventId: 'evt_cli', notes: [] });
    expect(buildSignedRequest({ scheme: 'stripe', body: '{"type":"x"}', secret: SECRET }, NOW_MS).notes).toHaveLength(1);
  });

  it('refuses --event for schemes that carry the type in the body, and --id for stripe', () => {
    expect(() => buildSignedRequest({ scheme: 'standard', body, secret: SECRET, event: 'x' }, NOW_MS)).toThrow(RangeError);
    expect(() => buildSignedRequest({ scheme: 'stripe', body, secret: SECRET, event: 'x' }, NOW_MS)).toThrow(RangeError);
    expect(() => buildSignedRequest({ scheme: 'stripe', body, secret: SECRET, id: 'evt_x' }, NOW_MS)).toThrow(RangeError);
  });

  it('throws TypeError for an empty secret', () => {
    expect(() => buildSignedRequest({ scheme: 'native', body, secret: '' }, NOW_MS)).toThrow(TypeError);
  });
});
