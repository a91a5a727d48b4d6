import { assertBody, assertSecret, assertTimestampSeconds } from './arguments';
import { checkTimestamp, decodeHexDigest, headerValue, hmacSha256, mismatch, matchSignature, signedContentDigest } from './crypto';
import type { SignatureScheme } from './types';

/**
 * This project's own scheme: `X-Webhook-Signature: sha256=<hex>` over `<timestamp>.<raw body>`, keyed with
 * the secret's UTF-8 bytes. See SPEC.md section 1.
 */
export const NATIVE_HEADERS = {
  signature: 'x-webhook-signature',
  timestamp: 'x-webhook-timestamp',
  event: 'x-webhook-event',
  id: 'x-webhook-id',
} as const;

/** The `X-Webhook-Signature` value for one secret: `sha256=<lower-case hex>`. */
export function signNative(secret: string, timestampSeconds: number | string, body: Buffer | string): string {
  assertSecret(secret);
  assertTimestampSeconds(timestampSeconds);
  assertBody(body);
  return `sha256=${hmacSha256(secret, `${timestampSeconds}.`, body).toString('hex')}`;
}

export const nativeScheme: SignatureScheme = {
  name: 'native',
  secretVariable: 'WEBHOOK_SECRET',
  signatureHeaders: [NATIVE_HEADERS.signature],
  staleHeaders: [NATIVE_HEADERS.timestamp, NATIVE_HEADERS.event, NATIVE_HEADERS.id],
  // X-Webhook-Id is not part of `<timestamp>.<body>`: anyone holding a valid request can change it.
  idSigned: false,

  verify(headers, body, { secrets, nowSeconds, toleranceSeconds }) {
    const timestamp = headerValue(headers, NATIVE_HEADERS.timestamp);
    const checked = checkTimestamp(timestamp, 'X-Webhook-Timestamp', nowSeconds, toleranceSeconds);
    if (typeof checked !== 'number') return checked;

    // Several signatures may be given (one per secret during a rotation), separated by commas or spaces;
    // each is `sha256=<hex>` or a bare `<hex>`. Values of another algorithm are skipped.
    const given: Buffer[] = [];
    for (const part of (headerValue(headers, NATIVE_HEADERS.signature) ?? '').split(/[\s,]+/)) {
      const hex = part.startsWith('sha256=') ? part.slice('sha256='.length) : part;
      const digest = decodeHexDigest(hex);
      if (digest) given.push(digest);
    }
    if (given.length === 0) {
      return mismatch('X-Webhook-Signature holds no sha256=<hex> value.');
    }
    const match = matchSignature(secrets, given, (secret) => hmacSha256(secret, `${timestamp}.`, body));
    if (match) return { ok: true, signedContent: signedContentDigest(`${timestamp}.`, body), timestamp: checked };
    return mismatch('X-Webhook-Signature does not match the body and timestamp for any configured secret.');
  },

  identify(headers) {
    return { eventId: headerValue(headers, NATIVE_HEADERS.id), eventType: headerValue(headers, NATIVE_HEADERS.event) };
  },
};
