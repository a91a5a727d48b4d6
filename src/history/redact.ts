import { SIGNATURE_HEADERS } from '../signature/detect';
import type { HeaderBag } from '../signature/types';

export const REDACTED = '[redacted]';

/** Headers whose values are credentials: never stored, never logged. */
const SECRET_HEADERS = new Set([
  ...SIGNATURE_HEADERS,
  'x-hub-signature', // GitHub's legacy sha1 signature
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
]);

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
    out[name] = SECRET_HEADERS.has(name) ? REDACTED : value.length > MAX_HEADER_VALUE_LENGTH ? value.slice(0, MAX_HEADER_VALUE_LENGTH) : value;
    kept += 1;
  }
  return out;
}
