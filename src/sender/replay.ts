import { isSecretHeader, REDACTED } from '../history/redact';
import { STALE_HEADERS, SIGNATURE_HEADERS } from '../signature/registry';
import type { HistoryEntry } from '../history/store';
import type { SendRequest } from './sender';
import type { SendScheme } from './sign-headers';

export interface ReplayOptions {
  /** Where to send the event. */
  readonly url: string;
  /** The scheme the fresh signature is made in; `native` unless told. */
  readonly scheme?: SendScheme;
  /**
   * Also send the original request's headers, less the ones listed in `NEVER_REPLAYED` and any value the
   * history redacted. The `Content-Type` is always sent, preserved or not: it describes the exact bytes.
   */
  readonly preserveHeaders?: boolean;
  readonly secret?: string;
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
}

/**
 * Headers a replay never copies: hop-by-hop and framing headers (the new request has its own), the proxy
 * path of the original, and every signature dialect's signature, timestamp, id and event headers (from the
 * scheme registry), since a stale signature next to the fresh one would only fail verification or confuse
 * detection. Credentials are never copied either, by name (`isSecretHeader`) as well as by value.
 */
export const NEVER_REPLAYED = new Set([
  ...SIGNATURE_HEADERS,
  ...STALE_HEADERS,
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'proxy-connection',
  'accept-encoding',
  'content-encoding',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
  'via',
]);

/**
 * The send request that re-sends a received event: its exact bytes, its event id (receivers dedupe on it),
 * its event type, signed afresh with the first secret of the chosen scheme's variable (or `options.secret`).
 */
export function replayRequest(entry: HistoryEntry, body: Buffer, options: ReplayOptions): SendRequest {
  const headers: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(entry.headers)) {
    const name = rawName.toLowerCase();
    if (name === 'content-type') headers[name] = value;
    else if (options.preserveHeaders && !NEVER_REPLAYED.has(name) && !isSecretHeader(name) && value !== REDACTED) headers[name] = value;
  }
  return {
    url: options.url,
    // An entry without a type (a native request without X-Webhook-Event) is replayed without one too: the
    // empty header reads as absent on the receiving side.
    eventType: entry.eventType ?? '',
    payload: entry.payload,
    scheme: options.scheme ?? 'native',
    eventId: entry.id,
    body,
    headers,
    secret: options.secret,
    maxAttempts: options.maxAttempts,
    timeoutMs: options.timeoutMs,
  };
}
