import { createHash, createHmac } from 'node:crypto';
import { signStripe, stripeScheme } from '../../src/signature/stripe';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const SECRET = 'whsec_test_secret';
const NOW = 1_767_225_600;
const body = Buffer.from('{"id":"evt_1","type":"invoice.paid"}');
const options = { secrets: [SECRET], nowSeconds: NOW, toleranceSeconds: 300 };

/** The v1 digest written out the way Stripe's docs describe it, independent of our code. */
function v1(secret: string, timestamp: number, payload: Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(payload).digest('hex');
}

const header = (value: string): Record<string, string> => ({ 'stripe-signature': value });

describe('signStripe', () => {
  it('signs `<t>.<body>` keyed with the whole secret string, whsec_ prefix included', () => {
    expect(signStripe(SECRET, NOW, body)).toBe(`t=${NOW},v1=${v1(SECRET, NOW, body)}`);
  });

  it.each([
    ['an empty secret', () => signStripe('', NOW, body)],
    ['a timestamp that is not a whole number of seconds', () => signStripe(SECRET, 1.5, body)],
    ['a negative timestamp', () => signStripe(SECRET, -1, body)],
    ['a parsed object as the body', () => signStripe(SECRET, NOW, { id: 'evt_1' } as unknown as Buffer)],
  ])('throws TypeError for %s', (_case, misuse) => {
    expect(misuse).toThrow(TypeError);
  });
});

describe('stripeScheme.verify', () => {
  it('accepts a signature keyed with the secret text, not its base64 decoding', () => {
    expect(stripeScheme.verify(header(`t=${NOW},v1=${v1(SECRET, NOW, body)}`), body, options)).toEqual({
      ok: true,
      signedContent: sha256(`${NOW}.${body.toString()}`),
      timestamp: NOW,
    });
  });

  it('accepts several v1 signatures when any one matches', () => {
    const value = `t=${NOW},v1=${v1('whsec_other', NOW, body)},v1=${v1(SECRET, NOW, body)}`;
    expect(stripeScheme.verify(header(value), body, options).ok).toBe(true);
  });

  it('ignores v0 signatures, even when they carry the right digest', () => {
    const value = `t=${NOW},v0=${v1(SECRET, NOW, body)}`;
    expect(stripeScheme.verify(header(value), body, options)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('verifies v1 next to a v0 signature, as Stripe sends in test mode', () => {
    const value = `t=${NOW},v1=${v1(SECRET, NOW, body)},v0=${'0'.repeat(64)}`;
    expect(stripeScheme.verify(header(value), body, options).ok).toBe(true);
  });

  it('rejects a tampered body', () => {
    const value = `t=${NOW},v1=${v1(SECRET, NOW, body)}`;
    expect(stripeScheme.verify(header(value), Buffer.from('{"id":"evt_2"}'), options)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('rejects a signature made with another secret', () => {
    const value = `t=${NOW},v1=${v1('whsec_wrong', NOW, body)}`;
    expect(stripeScheme.verify(header(value), body, options)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('rejects a header whose t= was changed after signing', () => {
    const value = `t=${NOW + 1},v1=${v1(SECRET, NOW, body)}`;
    expect(stripeScheme.verify(header(value), body, options)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('rejects a timestamp older than the tolerance', () => {
    const old = NOW - 301;
    const result = stripeScheme.verify(header(`t=${old},v1=${v1(SECRET, old, body)}`), body, options);
    expect(result).toMatchObject({ ok: false, code: 'timestamp.out_of_tolerance' });
  });

  it('rejects a timestamp further in the future than the tolerance', () => {
    const future = NOW + 301;
    const result = stripeScheme.verify(header(`t=${future},v1=${v1(SECRET, future, body)}`), body, options);
    expect(result).toMatchObject({ ok: false, code: 'timestamp.out_of_tolerance' });
  });

  it('rejects a header without t= as timestamp.missing', () => {
    expect(stripeScheme.verify(header(`v1=${v1(SECRET, NOW, body)}`), body, options)).toMatchObject({ ok: false, code: 'timestamp.missing' });
  });

  it('rejects a header with two t= values as timestamp.invalid', () => {
    const value = `t=${NOW},t=${NOW},v1=${v1(SECRET, NOW, body)}`;
    expect(stripeScheme.verify(header(value), body, options)).toMatchObject({ ok: false, code: 'timestamp.invalid' });
  });

  it('rejects a header without any v1 value', () => {
    expect(stripeScheme.verify(header(`t=${NOW}`), body, options)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });
});

describe('stripeScheme.identify', () => {
  it('takes the event id and type from the body, as Stripe sends no id header', () => {
    expect(stripeScheme.identify(header('t=1,v1=00'), { id: 'evt_1', type: 'invoice.paid' })).toEqual({ eventId: 'evt_1', eventType: 'invoice.paid' });
  });

  it('has no id when the body is not a JSON object', () => {
    expect(stripeScheme.identify(header('t=1,v1=00'), ['evt_1'])).toEqual({ eventId: undefined, eventType: undefined });
  });
});
