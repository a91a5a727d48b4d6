import { bodyString, checkTimestamp, headerValue, hmacSha256, mismatch, safeEqual } from './crypto';
import type { HeaderBag, SignatureScheme } from './types';

/**
 * Standard Webhooks 1.0 (https://www.standardwebhooks.com): `webhook-signature: v1,<base64>` over
 * `<id>.<timestamp>.<raw body>`. Svix sends the same headers with an `svix-` prefix.
 */
const PREFIXES = ['webhook-', 'svix-'] as const;

/** The HMAC key of a secret: a `whsec_` secret is base64 key bytes; any other string is its UTF-8 bytes. */
export function standardKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** One `v1,<base64>` signature for one secret. */
export function signStandard(secret: string, msgId: string, timestampSeconds: number | string, body: Buffer | string): string {
  if (typeof secret !== 'string' || secret === '') throw new TypeError('secret must be a non-empty string');
  if (typeof msgId !== 'string' || msgId === '') throw new TypeError('msgId must be a non-empty string');
  return `v1,${hmacSha256(standardKey(secret), `${msgId}.${timestampSeconds}.`, body).toString('base64')}`;
}

function prefixOf(headers: HeaderBag): string {
  return PREFIXES.find((p) => headerValue(headers, `${p}signature`) !== undefined) ?? 'webhook-';
}

export const standardScheme: SignatureScheme = {
  name: 'standard',
  signatureHeaders: PREFIXES.map((p) => `${p}signature`),

  verify(headers, body, { secrets, nowSeconds, toleranceSeconds }) {
    const prefix = prefixOf(headers);
    const timestamp = headerValue(headers, `${prefix}timestamp`);
    const checked = checkTimestamp(timestamp, `${prefix}timestamp`, nowSeconds, toleranceSeconds);
    if (typeof checked !== 'number') return checked;
    const msgId = headerValue(headers, `${prefix}id`);
    if (msgId === undefined) return mismatch(`The ${prefix}id header is missing: it is part of the signed content.`);

    // `v1,<base64>` values separated by spaces; other versions (v1a, ...) are skipped, as the spec says.
    const given: { text: string; digest: Buffer }[] = [];
    for (const part of (headerValue(headers, `${prefix}signature`) ?? '').split(' ')) {
      if (!part.startsWith('v1,')) continue;
      const text = part.slice(3);
      given.push({ text, digest: Buffer.from(text, 'base64') });
    }
    if (given.length === 0) return mismatch(`${prefix}signature holds no v1,<base64> value.`);
    for (const secret of secrets) {
      const expected = hmacSha256(standardKey(secret), `${msgId}.${timestamp}.`, body);
      for (const candidate of given) {
        if (safeEqual(expected, candidate.digest)) {
          return { ok: true, signature: `standard:${candidate.text}`, timestamp: checked };
        }
      }
    }
    return mismatch(`${prefix}signature does not match the id, timestamp and body for any configured secret.`);
  },

  identify(headers, parsedBody) {
    return { eventId: headerValue(headers, `${prefixOf(headers)}id`), eventType: bodyString(parsedBody, 'type') };
  },
};
