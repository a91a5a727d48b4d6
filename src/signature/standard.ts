import { assertBody, assertSecret, assertTimestampSeconds } from './arguments';
import { bodyString, checkTimestamp, headerValue, hmacSha256, mismatch, matchSignature, signedContentDigest } from './crypto';
import type { HeaderBag, SignatureScheme } from './types';

/**
 * Standard Webhooks 1.0 (https://www.standardwebhooks.com): `webhook-signature: v1,<base64>` over
 * `<id>.<timestamp>.<raw body>`. Svix sends the same headers with an `svix-` prefix.
 */
const PREFIXES = ['webhook-', 'svix-'] as const;

const SECRET_PREFIX = 'whsec_';

// Base64 of either alphabet, padding optional. Node's decoder would silently skip anything else, and a
// `whsec_` secret that decodes to garbage (or to nothing: an empty key anyone can sign with) must not verify.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * The HMAC key of a secret, or undefined when it cannot be one: a `whsec_` secret is the base64 key bytes
 * (as in the reference library); any other string is its UTF-8 bytes (SPEC.md section 1).
 */
export function parseStandardKey(secret: string): Buffer | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return secret === '' ? undefined : Buffer.from(secret, 'utf8');
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length === 0 ? undefined : key;
}

/** Like `parseStandardKey`, but a `whsec_` secret that is not valid base64 throws `TypeError`. */
export function standardKey(secret: string): Buffer {
  assertSecret(secret);
  const key = parseStandardKey(secret);
  if (!key) throw new TypeError(`a ${SECRET_PREFIX} secret must be followed by non-empty base64 key bytes`);
  return key;
}

/** One `v1,<base64>` signature for one secret. */
export function signStandard(secret: string, msgId: string, timestampSeconds: number | string, body: Buffer | string): string {
  const key = standardKey(secret);
  if (typeof msgId !== 'string' || msgId === '') throw new TypeError('msgId must be a non-empty string');
  assertTimestampSeconds(timestampSeconds);
  assertBody(body);
  return `v1,${hmacSha256(key, `${msgId}.${timestampSeconds}.`, body).toString('base64')}`;
}

const DIGEST_BYTES = 32;

/**
 * The HMAC-SHA256 digest a `v1` signature encodes, or undefined when it is not exactly one. Only the
 * canonical encoding is accepted, so one digest has one spelling and the exact-replay key cannot be
 * dodged by adding characters the decoder would ignore.
 */
function decodeBase64Digest(text: string): Buffer | undefined {
  const digest = Buffer.from(text, 'base64');
  return digest.length === DIGEST_BYTES && digest.toString('base64') === text ? digest : undefined;
}

function prefixOf(headers: HeaderBag): string {
  return PREFIXES.find((p) => headerValue(headers, `${p}signature`) !== undefined) ?? 'webhook-';
}

export const standardScheme: SignatureScheme = {
  name: 'standard',
  secretVariable: 'STANDARD_WEBHOOK_SECRET',
  signatureHeaders: PREFIXES.map((p) => `${p}signature`),
  staleHeaders: PREFIXES.flatMap((p) => [`${p}id`, `${p}timestamp`]),
  // webhook-id is the first part of the signed content.
  idSigned: true,

  verify(headers, body, { secrets, nowSeconds, toleranceSeconds }) {
    const prefix = prefixOf(headers);
    const timestamp = headerValue(headers, `${prefix}timestamp`);
    const checked = checkTimestamp(timestamp, `${prefix}timestamp`, nowSeconds, toleranceSeconds);
    if (typeof checked !== 'number') return checked;
    const msgId = headerValue(headers, `${prefix}id`);
    if (msgId === undefined) return mismatch(`The ${prefix}id header is missing: it is part of the signed content.`);

    // Space-separated `<version>,<base64>` values, one per secret during a rotation. Versions other than
    // v1 (v1a, the asymmetric one, ...) are skipped, as the spec and the reference library do.
    const given: Buffer[] = [];
    for (const part of (headerValue(headers, `${prefix}signature`) ?? '').split(' ')) {
      if (!part.startsWith('v1,')) continue;
      const text = part.slice('v1,'.length);
      const digest = decodeBase64Digest(text);
      if (digest) given.push(digest);
    }
    if (given.length === 0) return mismatch(`${prefix}signature holds no v1,<base64> value.`);
    const match = matchSignature(secrets, given, (secret) => {
      const key = parseStandardKey(secret); // a malformed whsec_ secret verifies nothing; the others still may
      return key && hmacSha256(key, `${msgId}.${timestamp}.`, body);
    });
    if (match) return { ok: true, signedContent: signedContentDigest(`${msgId}.${timestamp}.`, body), timestamp: checked };
    return mismatch(`${prefix}signature does not match the id, timestamp and body for any configured secret.`);
  },

  identify(headers, parsedBody) {
    return { eventId: headerValue(headers, `${prefixOf(headers)}id`), eventType: bodyString(parsedBody, 'type') };
  },
};
