import { createHash, createHmac } from 'node:crypto';
import { nativeScheme, signNative } from '../../src/signature/native';
import type { VerifyOptions } from '../../src/signature/types';

const SECRET = 'whsec_native_test';
const NOW = 1_764_417_600; // 2025-11-29T12:00:00Z, whole seconds
const BODY = Buffer.from('{"userId":"123"}');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const OPTIONS: VerifyOptions = { secrets: [SECRET], nowSeconds: NOW, toleranceSeconds: 300 };

/** The expected hex, computed the way `openssl dgst -sha256 -hmac` would: HMAC-SHA256 of "<t>.<body>". */
const hex = (secret: string, timestamp: number | string, body: Buffer | string = BODY): string =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');

/** Native headers; a `null` timestamp leaves X-Webhook-Timestamp out. */
const headers = (signature: string, timestamp: string | number | null = NOW): Record<string, string> => ({
  'x-webhook-signature': signature,
  ...(timestamp === null ? {} : { 'x-webhook-timestamp': String(timestamp) }),
  'x-webhook-event': 'user.created',
});

describe('signNative', () => {
  it('returns sha256= and the lower-case hex HMAC-SHA256 of "<timestamp>.<body>"', () => {
    expect(signNative(SECRET, NOW, BODY)).toBe(`sha256=${hex(SECRET, NOW)}`);
    expect(signNative(SECRET, NOW, BODY.toString())).toBe(signNative(SECRET, NOW, BODY));
  });

  it('throws a TypeError for an empty secret', () => {
    expect(() => signNative('', NOW, BODY)).toThrow(TypeError);
  });
});

describe('nativeScheme.verify', () => {
  it('accepts its own signature and reports the timestamp and the hash of the signed content', () => {
    const result = nativeScheme.verify(headers(signNative(SECRET, NOW, BODY)), BODY, OPTIONS);

    expect(result).toEqual({ ok: true, signedContent: sha256(`${NOW}.${BODY.toString()}`), timestamp: NOW });
  });

  it('accepts a bare hex value and upper-case hex', () => {
    expect(nativeScheme.verify(headers(hex(SECRET, NOW)), BODY, OPTIONS).ok).toBe(true);
    expect(nativeScheme.verify(headers(`sha256=${hex(SECRET, NOW).toUpperCase()}`), BODY, OPTIONS).ok).toBe(true);
  });

  it('accepts any configured secret', () => {
    const options = { ...OPTIONS, secrets: ['new', SECRET] };

    expect(nativeScheme.verify(headers(signNative('new', NOW, BODY)), BODY, options).ok).toBe(true);
    expect(nativeScheme.verify(headers(signNative(SECRET, NOW, BODY)), BODY, options).ok).toBe(true);
    expect(nativeScheme.verify(headers(signNative('other', NOW, BODY)), BODY, options)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('skips values of another algorithm and finds the sha256 one among them', () => {
    const header = `sha1=${'0'.repeat(40)}, sha256=${hex('old', NOW)},sha256=${hex(SECRET, NOW)}`;

    expect(nativeScheme.verify(headers(header), BODY, OPTIONS).ok).toBe(true);
  });

  it.each([
    ['a truncated digest', `sha256=${'a'.repeat(63)}`],
    ['another algorithm only', `sha512=${'a'.repeat(128)}`],
    ['a non-hex value', 'sha256=zz'],
  ])('rejects %s with signature.mismatch', (_label, signature) => {
    expect(nativeScheme.verify(headers(signature), BODY, OPTIONS)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('rejects a body changed by a single byte', () => {
    const tampered = Buffer.from('{"userId":"124"}');

    expect(nativeScheme.verify(headers(signNative(SECRET, NOW, BODY)), tampered, OPTIONS)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('rejects a signature replayed with another timestamp', () => {
    expect(nativeScheme.verify(headers(signNative(SECRET, NOW, BODY), NOW + 1), BODY, OPTIONS)).toMatchObject({
      ok: false,
      code: 'signature.mismatch',
    });
  });

  it('reports a missing timestamp before looking at the signature', () => {
    expect(nativeScheme.verify(headers('sha256=zz', null), BODY, OPTIONS)).toMatchObject({ ok: false, code: 'timestamp.missing' });
  });

  it.each(['soon', '1.5', '-5', '1e9', '1234567890123456'])('rejects the timestamp %p as timestamp.invalid', (timestamp) => {
    // Signed by hand: signNative refuses such a timestamp, but a sender's own code might not.
    const signature = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.`).update(BODY).digest('hex')}`;
    expect(nativeScheme.verify(headers(signature, timestamp), BODY, OPTIONS)).toMatchObject({
      ok: false,
      code: 'timestamp.invalid',
    });
  });

  it.each([
    [-300, true],
    [300, true],
    [-301, false],
    [301, false],
  ])('treats a timestamp %i s from now as within the tolerance: %p', (offset, ok) => {
    const timestamp = NOW + offset;

    const result = nativeScheme.verify(headers(signNative(SECRET, timestamp, BODY), timestamp), BODY, OPTIONS);

    expect(result.ok).toBe(ok);
    if (!ok) expect(result).toMatchObject({ code: 'timestamp.out_of_tolerance' });
  });
});

describe('nativeScheme.identify', () => {
  it('reads the id and type from X-Webhook-Id and X-Webhook-Event', () => {
    expect(nativeScheme.identify({ 'x-webhook-id': ' evt_1 ', 'x-webhook-event': 'user.created' }, undefined)).toEqual({
      eventId: 'evt_1',
      eventType: 'user.created',
    });
    expect(nativeScheme.identify({}, { id: 'from-body' })).toEqual({ eventId: undefined, eventType: undefined });
  });
});
