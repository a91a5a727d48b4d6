import { SIGNATURE_HEADERS } from '../signature/registry';
import type { HeaderBag } from '../signature/types';

export const REDACTED = '[redacted]';

/**
 * Parts of a header name that mark a credential (issue 11): `X-Gitlab-Token`, `X-Shopify-Hmac`-style
 * signatures, `Proxy-Authorization`, `X-Session-Id`, `X-Api-Key`, `Api_Key`... Matched on the lower-case
 * name, so a provider this server has never heard of is still covered.
 */
export const SECRET_NAME_PATTERNS: readonly RegExp[] = [
  /token/,
  /secret/,
  /signature/,
  /passw(or)?d/,
  /auth/,
  /cookie/,
  /session/,
  /api[-_]?key/,
  /hmac/,
  /credential/,
];

/**
 * Credentials whose names the patterns above do not catch, by name: the schemes' own signature headers (from
 * the registry, so a new scheme is covered by adding it there), GitHub's legacy `X-Hub-Signature`,
 * GitLab's and others' shared-secret headers.
 */
const SECRET_HEADERS = new Set([...SIGNATURE_HEADERS, 'x-hub-signature', 'x-gitlab-token', 'x-shopify-hmac-sha256', 'x-twilio-signature']);

/** Header names whose verdict is remembered at most: a sender inventing names cannot grow the memo. */
const MEMO_NAMES = 1024;
const verdicts = new Map<string, boolean>();

/** Whether a header's value is a credential: never stored, logged, forwarded or replayed. */
export function isSecretHeader(name: string): boolean {
  // Remembered per name: every stored entry redacts its ~10 headers against ten patterns, the same few names
  // over and over (issue 13: the receive path's per-webhook work).
  const known = verdicts.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  const secret = SECRET_HEADERS.has(lower) || SECRET_NAME_PATTERNS.some((pattern) => pattern.test(lower));
  if (verdicts.size < MEMO_NAMES) verdicts.set(name, secret);
  return secret;
}

/** Headers kept per history entry at most; the rest are dropped, so one request cannot bloat the store. */
export const MAX_STORED_HEADERS = 64;
/** Characters kept per header value. */
export const MAX_HEADER_VALUE_LENGTH = 2048;

/** A copy of the request headers fit for the history: credentials redacted, count and length capped. */
export function redactHeaders(headers: HeaderBag): Record<string, string> {
  const out: Record<string, string> = {};
  let kept = 0;
  for (const name in headers) {
    if (kept === MAX_STORED_HEADERS) break;
    const raw = headers[name];
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    out[name] = isSecretHeader(name) ? REDACTED : value.length > MAX_HEADER_VALUE_LENGTH ? value.slice(0, MAX_HEADER_VALUE_LENGTH) : value;
    kept += 1;
  }
  return out;
}
