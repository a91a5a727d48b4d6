import type { Random } from '../clock';

export interface BackoffOptions {
  /** Delay before the first retry, in ms; doubled for each further retry. */
  readonly baseDelayMs: number;
  /** Cap on the exponential delay and on `Retry-After`, in ms. */
  readonly maxDelayMs: number;
}

/** How far jitter spreads a delay either way: ±20 %, as Svix's worker does. */
export const JITTER = 0.2;

/**
 * The delay before retry `retry` (1 for the first retry): `min(max, base * 2^(retry-1))`, spread by ±20 %
 * so that many failed deliveries do not come back in lockstep (SPEC.md section 2).
 */
export function backoffDelayMs(retry: number, options: BackoffOptions, random: Random): number {
  if (!Number.isInteger(retry) || retry < 1) throw new TypeError(`retry must be an integer >= 1, got ${retry}`);
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  const spread = 1 - JITTER + 2 * JITTER * random();
  return Math.round(exponential * spread);
}

/** `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 section 5.6.7). */
const IMF_FIXDATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
/** `Sunday, 06-Nov-94 08:49:37 GMT`, obsolete but still to be accepted. */
const RFC850_DATE = /^[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
/** `Sun Nov  6 08:49:37 1994`, obsolete but still to be accepted. */
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * `Retry-After` as ms from `nowMs`: delta-seconds or an HTTP date (RFC 9110 section 10.2.3). Undefined when
 * absent or unreadable; never negative.
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only the three HTTP-date forms: V8's Date.parse also reads "-5", "1.5" or "abc 1" as dates long past,
  // which would turn an unreadable header into "retry at once" instead of the backoff.
  let date: number;
  if (IMF_FIXDATE.test(trimmed) || RFC850_DATE.test(trimmed)) date = Date.parse(trimmed);
  else if (ASCTIME_DATE.test(trimmed)) date = Date.parse(`${trimmed} GMT`); // asctime has no zone; it means GMT
  else return undefined;
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Status codes worth another attempt: the receiver may answer differently later. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export type AttemptResult =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfter?: string | null }
  | { readonly kind: 'error' };

export type Decision =
  | { readonly action: 'delivered' }
  | { readonly action: 'fail'; readonly reason: string }
  | { readonly action: 'retry'; readonly delayMs: number };

/**
 * What to do after attempt `attempt` of `maxAttempts`: 2xx delivered; 3xx and other 4xx fail at once
 * (redirects are not followed); network errors, timeouts, 408, 425, 429 and 5xx retry while attempts
 * remain, after `Retry-After` (capped) when the receiver sent one, else the backoff.
 */
export function decide(
  result: AttemptResult,
  attempt: number,
  maxAttempts: number,
  options: BackoffOptions,
  random: Random,
  nowMs: number,
): Decision {
  if (result.kind === 'response') {
    if (result.status >= 200 && result.status < 300) return { action: 'delivered' };
    if (!isRetryableStatus(result.status)) {
      const reason = result.status >= 300 && result.status < 400 ? `redirect ${result.status} not followed` : `status ${result.status} is not retried`;
      return { action: 'fail', reason };
    }
  }
  if (attempt >= maxAttempts) return { action: 'fail', reason: `gave up after ${maxAttempts} attempt${maxAttempts === 1 ? '' : 's'}` };
  const retryAfterMs = result.kind === 'response' ? parseRetryAfterMs(result.retryAfter, nowMs) : undefined;
  const delayMs = retryAfterMs !== undefined ? Math.min(retryAfterMs, options.maxDelayMs) : backoffDelayMs(attempt, options, random);
  return { action: 'retry', delayMs };
}
