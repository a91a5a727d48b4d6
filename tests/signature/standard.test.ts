import { createHash } from 'node:crypto';
import { parseStandardKey, signStandard, standardKey, standardScheme } from '../../src/signature/standard';

// SPEC.md section 1, the vector from the Standard Webhooks reference library's own tests.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const options = { secrets: [VECTOR.secret], nowSeconds: VECTOR.timestamp, toleranceSeconds: 300 };

function headers(signature: string, prefix = 'webhook-', overrides: Record<string, string> = {}): Record<string, string> {
  return {
    [`${prefix}id`]: VECTOR.id,
    [`${prefix}timestamp`]: String(VECTOR.timestamp),
    [`${prefix}signature`]: signature,
    ...overrides,
  };
}

const body = Buffer.from(VECTOR.body);

describe('signStandard', () => {
  it('produces the known-answer signature of the specification', () => {
    expect(signStandard(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('signs a Buffer and the same string alike', () => {
    expect(signStandard(VECTOR.secret, VECTOR.id, VECTOR.timestamp, body)).toBe(VECTOR.signature);
  });

  it('keys a secret without the whsec_ prefix with its UTF-8 bytes, not its base64 decoding', () => {
    const plain = 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(standardKey(plain).equals(Buffer.from(plain, 'utf8'))).toBe(true);
    expect(signStandard(plain, VECTOR.id, VECTOR.timestamp, VECTOR.body)).not.toBe(VECTOR.signature);
  });

  it.each([
    ['an empty secret', () => signStandard('', VECTOR.id, VECTOR.timestamp, VECTOR.body)],
    ['a whsec_ secret that is not base64', () => signStandard('whsec_not base64!', VECTOR.id, VECTOR.timestamp, VECTOR.body)],
    ['a whsec_ secret with no key bytes', () => signStandard('whsec_', VECTOR.id, VECTOR.timestamp, VECTOR.body)],
    ['an empty message id', () => signStandard(VECTOR.secret, '', VECTOR.timestamp, VECTOR.body)],
    ['a timestamp in milliseconds with a fraction', () => signStandard(VECTOR.secret, VECTOR.id, 1614265330.5, VECTOR.body)],
    ['a parsed object as the body', () => signStandard(VECTOR.secret, VECTOR.id, VECTOR.timestamp, { test: 1 } as unknown as string)],
  ])('throws TypeError for %s', (_case, misuse) => {
    expect(misuse).toThrow(TypeError);
  });
});

describe('parseStandardKey', () => {
  it('decodes the base64 after whsec_', () => {
    expect(parseStandardKey(VECTOR.secret)?.equals(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'))).toBe(true);
  });

  it('refuses a whsec_ secret whose key would be empty, so nobody can sign with an empty key', () => {
    expect(parseStandardKey('whsec_')).toBeUndefined();
    expect(parseStandardKey('whsec_===')).toBeUndefined();
  });
});

describe('standardScheme.verify', () => {
  it('accepts the known-answer signature', () => {
    expect(standardScheme.verify(headers(VECTOR.signature), body, options)).toEqual({
      ok: true,
      signedContent: createHash('sha256').update(`${VECTOR.id}.${VECTOR.timestamp}.${VECTOR.body}`).digest('hex'),
      timestamp: VECTOR.timestamp,
    });
  });

  it('accepts the svix- header prefix', () => {
    expect(standardScheme.verify(headers(VECTOR.signature, 'svix-'), body, options).ok).toBe(true);
  });

  it('accepts a header with several signatures when any one matches', () => {
    const other = signStandard('whsec_b3RoZXIgc2VjcmV0', VECTOR.id, VECTOR.timestamp, body);
    expect(standardScheme.verify(headers(`${other} ${VECTOR.signature}`), body, options).ok).toBe(true);
  });

  it('skips versions other than v1, even when they carry the right bytes', () => {
    const result = standardScheme.verify(headers(`v1a,${VECTOR.signature.slice(3)}`), body, options);
    expect(result).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('skips an unknown version and still finds the v1 signature after it', () => {
    expect(standardScheme.verify(headers(`v2,AAAA ${VECTOR.signature}`), body, options).ok).toBe(true);
  });

  it('rejects a signature with characters the base64 decoder would silently ignore', () => {
    const padded = `v1,${VECTOR.signature.slice(3, 10)}!${VECTOR.signature.slice(10)}`;
    expect(standardScheme.verify(headers(padded), body, options)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('rejects a tampered body', () => {
    const result = standardScheme.verify(headers(VECTOR.signature), Buffer.from('{"test": 2432232315}'), options);
    expect(result).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('rejects a signature over another message id', () => {
    const result = standardScheme.verify(headers(VECTOR.signature, 'webhook-', { 'webhook-id': 'msg_other' }), body, options);
    expect(result).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('rejects a request without a message id', () => {
    const { 'webhook-id': _id, ...withoutId } = headers(VECTOR.signature);
    expect(standardScheme.verify(withoutId, body, options)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('skips a malformed whsec_ secret and verifies with the next one', () => {
    expect(standardScheme.verify(headers(VECTOR.signature), body, { ...options, secrets: ['whsec_', VECTOR.secret] }).ok).toBe(true);
  });

  it('rejects a timestamp older than the tolerance', () => {
    const result = standardScheme.verify(headers(VECTOR.signature), body, { ...options, nowSeconds: VECTOR.timestamp + 301 });
    expect(result).toMatchObject({ ok: false, code: 'timestamp.out_of_tolerance' });
  });

  it('accepts a timestamp exactly at the edge of the tolerance', () => {
    expect(standardScheme.verify(headers(VECTOR.signature), body, { ...options, nowSeconds: VECTOR.timestamp + 300 }).ok).toBe(true);
  });

  it('rejects a timestamp further in the future than the tolerance', () => {
    const result = standardScheme.verify(headers(VECTOR.signature), body, { ...options, nowSeconds: VECTOR.timestamp - 301 });
    expect(result).toMatchObject({ ok: false, code: 'timestamp.out_of_tolerance' });
  });

  it('rejects a missing and a non-integer timestamp with their own codes', () => {
    const { 'webhook-timestamp': _ts, ...withoutTimestamp } = headers(VECTOR.signature);
    expect(standardScheme.verify(withoutTimestamp, body, options)).toMatchObject({ ok: false, code: 'timestamp.missing' });
    const fractional = headers(VECTOR.signature, 'webhook-', { 'webhook-timestamp': '1614265330.0' });
    expect(standardScheme.verify(fractional, body, options)).toMatchObject({ ok: false, code: 'timestamp.invalid' });
  });
});

describe('standardScheme.identify', () => {
  it('takes the event id from webhook-id and the type from the body', () => {
    expect(standardScheme.identify(headers(VECTOR.signature), { type: 'user.created' })).toEqual({
      eventId: VECTOR.id,
      eventType: 'user.created',
    });
  });

  it('takes the event id from svix-id when the svix- headers are used', () => {
    expect(standardScheme.identify(headers(VECTOR.signature, 'svix-'), undefined).eventId).toBe(VECTOR.id);
  });
});
