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

/**
 * The named retry schedules a delivery may follow: `exponential` (SEND_BASE_DELAY_MS doubling up to
 * SEND_MAX_DELAY_MS, SPEC.md section 2) or `svix`, the fixed ladder Svix documents for its endpoints
 * (https://docs.svix.com/retries): immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, each ±20 %.
 */
export const RETRY_SCHEDULES = ['exponential', 'svix'] as const;
export type RetryScheduleName = (typeof RETRY_SCHEDULES)[number];

/** Delay before retry n of the `svix` schedule (index n - 1), in ms: about 28 hours from first to last. */
export const SVIX_DELAYS_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
/** The first attempt and one per retry of the ladder. */
export const SVIX_MAX_ATTEMPTS = SVIX_DELAYS_MS.length + 1;

/** The delay of retry `retry` (1 for the first) on the named schedule, ±20 %. */
export function scheduledDelayMs(schedule: RetryScheduleName, retry: number, options: BackoffOptions, random: Random): number {
  if (schedule === 'exponential') return backoffDelayMs(retry, options, random);
  if (!Number.isInteger(retry) || retry < 1) throw new TypeError(`retry must be an integer >= 1, got ${retry}`);
  // Past the ladder (a caller allowing more attempts), the last step repeats.
  const base = SVIX_DELAYS_MS[Math.min(retry, SVIX_DELAYS_MS.length) - 1]!;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
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
  schedule: RetryScheduleName = 'exponential',
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
  if (schedule === 'svix') {
    // The ladder is the floor: a Retry-After (capped) may ask for longer, never for sooner.
    const scheduled = scheduledDelayMs(schedule, attempt, options, random);
    return { action: 'retry', delayMs: retryAfterMs === undefined ? scheduled : Math.max(scheduled, Math.min(retryAfterMs, options.maxDelayMs)) };
  }
  const delayMs = retryAfterMs !== undefined ? Math.min(retryAfterMs, options.maxDelayMs) : backoffDelayMs(attempt, options, random);
  return { action: 'retry', delayMs };
}
