import { assertBody, assertSecret, assertTimestampSeconds } from './arguments';
import { bodyString, checkTimestamp, decodeHexDigest, headerValue, hmacSha256, mismatch, matchSignature, signedContentDigest } from './crypto';
import type { SignatureScheme } from './types';

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]` over `<t>.<raw body>`, keyed with the whole
 * secret string (a `whsec_` prefix included: unlike Standard Webhooks, Stripe does not base64-decode it).
 * `v0` (test-mode sha1) and any other scheme are ignored.
 */
export const STRIPE_HEADER = 'stripe-signature';

/** A `Stripe-Signature` header value for one secret. */
export function signStripe(secret: string, timestampSeconds: number | string, body: Buffer | string): string {
  assertSecret(secret);
  assertTimestampSeconds(timestampSeconds);
  assertBody(body);
  return `t=${timestampSeconds},v1=${hmacSha256(secret, `${timestampSeconds}.`, body).toString('hex')}`;
}

export const stripeScheme: SignatureScheme = {
  name: 'stripe',
  secretVariable: 'STRIPE_WEBHOOK_SECRET',
  signatureHeaders: [STRIPE_HEADER],
  staleHeaders: [],
  // The id is the body's top-level `id`, and the body is signed.
  idSigned: true,

  verify(headers, body, { secrets, nowSeconds, toleranceSeconds }) {
    const timestamps: string[] = [];
    const given: Buffer[] = [];
    for (const item of (headerValue(headers, STRIPE_HEADER) ?? '').split(',')) {
      const eq = item.indexOf('=');
      if (eq < 0) continue;
      const key = item.slice(0, eq).trim();
      const value = item.slice(eq + 1).trim();
      if (key === 't') timestamps.push(value);
      else if (key === 'v1') {
        const digest = decodeHexDigest(value);
        if (digest) given.push(digest);
      }
    }
    // Stripe sends exactly one `t`. Its library lets a later one win; several are ambiguous, so we refuse them.
    if (timestamps.length === 0) {
      return { ok: false, code: 'timestamp.missing', message: 'Stripe-Signature holds no t=<unix seconds> value.' };
    }
    if (timestamps.length > 1) {
      return { ok: false, code: 'timestamp.invalid', message: 'Stripe-Signature must carry exactly one t=<unix seconds>.' };
    }
    const timestamp = timestamps[0];
    const checked = checkTimestamp(timestamp, 'Stripe-Signature t=', nowSeconds, toleranceSeconds);
    if (typeof checked !== 'number') return checked;
    if (given.length === 0) return mismatch('Stripe-Signature holds no v1=<hex> value.');
    const match = matchSignature(secrets, given, (secret) => hmacSha256(secret, `${timestamp}.`, body));
    if (match) return { ok: true, signedContent: signedContentDigest(`${timestamp}.`, body), timestamp: checked };
    return mismatch('Stripe-Signature does not match the timestamp and body for any configured secret.');
  },

  identify(_headers, parsedBody) {
    return { eventId: bodyString(parsedBody, 'id'), eventType: bodyString(parsedBody, 'type') };
  },
};
