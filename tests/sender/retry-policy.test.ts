import { backoffDelayMs, decide, isRetryableStatus, parseRetryAfterMs, scheduledDelayMs, SVIX_MAX_ATTEMPTS, type BackoffOptions } from '../../src/sender/retry-policy';

const options: BackoffOptions = { baseDelayMs: 1000, maxDelayMs: 60_000 };
const NOW_MS = Date.UTC(2026, 10, 29, 12, 0, 0);
const fixed = (value: number) => () => value;
const ALMOST_ONE = 0.999_999_9;

describe('backoffDelayMs', () => {
  it('doubles from the base delay for retries 1 to 5 at the middle of the jitter', () => {
    const delays = [1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, options, fixed(0.5)));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000]);
  });

  it('takes 20 % off when random is 0', () => {
    const delays = [1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, options, fixed(0)));
    expect(delays).toEqual([800, 1600, 3200, 6400, 12_800]);
  });

  it('adds almost 20 % when random is just below 1', () => {
    const delays = [1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, options, fixed(ALMOST_ONE)));
    expect(delays).toEqual([1200, 2400, 4800, 9600, 19_200]);
  });

  it('stops growing at SEND_MAX_DELAY_MS', () => {
    // 1000 * 2^6 = 64000 is past the 60000 cap, and so is every later retry.
    expect(backoffDelayMs(6, options, fixed(0.5))).toBe(32_000);
    expect(backoffDelayMs(7, options, fixed(0.5))).toBe(60_000);
    expect(backoffDelayMs(30, options, fixed(0.5))).toBe(60_000);
  });

  it('spreads the capped delay by the same 20 % either way, as SPEC section 2 writes the formula', () => {
    expect(backoffDelayMs(10, options, fixed(0))).toBe(48_000);
    expect(backoffDelayMs(10, options, fixed(ALMOST_ONE))).toBe(72_000);
  });

  it('uses a small cap as given', () => {
    const small = { baseDelayMs: 10, maxDelayMs: 50 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, small, fixed(0.5)))).toEqual([10, 20, 40, 50, 50]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses retry number %p', (retry) => {
    expect(() => backoffDelayMs(retry, options, fixed(0.5))).toThrow(TypeError);
  });
});

describe('parseRetryAfterMs', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfterMs('120', NOW_MS)).toBe(120_000);
    expect(parseRetryAfterMs(' 3 ', NOW_MS)).toBe(3000);
    expect(parseRetryAfterMs('0', NOW_MS)).toBe(0);
  });

  it('reads an HTTP date relative to the injected now', () => {
    const in30s = new Date(NOW_MS + 30_000).toUTCString();
    expect(parseRetryAfterMs(in30s, NOW_MS)).toBe(30_000);
  });

  it('reads the obsolete RFC 850 and asctime date forms', () => {
    const now = Date.UTC(1994, 10, 6, 8, 49, 0);
    expect(parseRetryAfterMs('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(37_000);
    expect(parseRetryAfterMs('Sun Nov  6 08:49:37 1994', now)).toBe(37_000);
  });

  it('never returns a negative delay for a date in the past', () => {
    expect(parseRetryAfterMs(new Date(NOW_MS - 60_000).toUTCString(), NOW_MS)).toBe(0);
  });

  it.each([null, undefined])('returns undefined when the header is absent (%p)', (value) => {
    expect(parseRetryAfterMs(value, NOW_MS)).toBeUndefined();
  });

  // V8's Date.parse reads "-5", "1.5" or "abc 1" as dates in the past, which would mean "retry now".
  it.each(['', 'soon', '-5', '1.5', '1e3', 'abc 1', 'tomorrow 5', '12abc'])('treats %p as unreadable', (value) => {
    expect(parseRetryAfterMs(value, NOW_MS)).toBeUndefined();
  });
});

describe('isRetryableStatus', () => {
  it.each([408, 425, 429, 500, 502, 503, 504, 599])('retries %i', (status) => {
    expect(isRetryableStatus(status)).toBe(true);
  });

  it.each([301, 302, 307, 400, 401, 403, 404, 410, 422])('does not retry %i', (status) => {
    expect(isRetryableStatus(status)).toBe(false);
  });
});

describe('decide', () => {
  const response = (status: number, retryAfter?: string) => ({ kind: 'response' as const, status, retryAfter });

  it.each([200, 201, 202, 204, 299])('calls a %i delivered', (status) => {
    expect(decide(response(status), 1, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'delivered' });
  });

  it.each([408, 425, 429, 500, 502, 503, 504])('retries a %i after the backoff', (status) => {
    expect(decide(response(status), 1, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'retry', delayMs: 1000 });
  });

  it.each([400, 401, 403, 404, 410, 422])('fails a %i at once, whatever attempts remain', (status) => {
    expect(decide(response(status), 1, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'fail', reason: `status ${status} is not retried` });
  });

  it.each([301, 302, 307])('fails a %i redirect at once, without following it', (status) => {
    expect(decide(response(status), 1, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'fail', reason: `redirect ${status} not followed` });
  });

  it('retries a network error after the backoff', () => {
    expect(decide({ kind: 'error' }, 1, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'retry', delayMs: 1000 });
  });

  it('backs off by the attempt number that just failed', () => {
    expect(decide({ kind: 'error' }, 3, 5, options, fixed(0), NOW_MS)).toEqual({ action: 'retry', delayMs: 3200 });
  });

  it('fails the last attempt with the reason', () => {
    expect(decide(response(503), 5, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'fail', reason: 'gave up after 5 attempts' });
    expect(decide({ kind: 'error' }, 1, 1, options, fixed(0.5), NOW_MS)).toEqual({ action: 'fail', reason: 'gave up after 1 attempt' });
  });

  it('waits as many seconds as Retry-After says instead of the backoff', () => {
    expect(decide(response(429, '7'), 1, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'retry', delayMs: 7000 });
  });

  it('waits until the HTTP date in Retry-After', () => {
    const at = new Date(NOW_MS + 45_000).toUTCString();
    expect(decide(response(503, at), 1, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'retry', delayMs: 45_000 });
  });

  it('caps Retry-After at SEND_MAX_DELAY_MS', () => {
    expect(decide(response(503, '3600'), 1, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'retry', delayMs: 60_000 });
    const inAnHour = new Date(NOW_MS + 3_600_000).toUTCString();
    expect(decide(response(503, inAnHour), 1, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'retry', delayMs: 60_000 });
  });

  it.each(['soon', '-5', '1.5'])('falls back to the backoff when Retry-After is %p', (value) => {
    expect(decide(response(503, value), 2, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'retry', delayMs: 2000 });
  });

  it('does not let Retry-After keep a non-retryable status alive', () => {
    expect(decide(response(400, '1'), 1, 5, options, fixed(0.5), NOW_MS)).toEqual({ action: 'fail', reason: 'status 400 is not retried' });
  });
});

describe('the svix schedule', () => {
  const MIN = 60_000;
  const HOUR = 60 * MIN;
  const ladder = [5000, 5 * MIN, 30 * MIN, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];

  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h between its 8 attempts at the middle of the jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => scheduledDelayMs('svix', n, options, fixed(0.5)))).toEqual(ladder);
    expect(SVIX_MAX_ATTEMPTS).toBe(8);
  });

  it('spreads each step by 20 % either way', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => scheduledDelayMs('svix', n, options, fixed(0)))).toEqual(ladder.map((d) => d * 0.8));
    const highest = [1, 2, 3, 4, 5, 6, 7].map((n) => scheduledDelayMs('svix', n, options, fixed(ALMOST_ONE)));
    highest.forEach((delay, i) => {
      expect(delay).toBeLessThanOrEqual(ladder[i]! * 1.2);
      expect(delay).toBeGreaterThan(ladder[i]! * 1.2 - 2);
    });
  });

  it('is not capped by SEND_MAX_DELAY_MS, unlike the exponential one', () => {
    const decision = decide({ kind: 'response', status: 503 }, 4, 8, options, fixed(0.5), NOW_MS, 'svix');
    expect(decision).toEqual({ action: 'retry', delayMs: 2 * HOUR });
    expect(decide({ kind: 'response', status: 503 }, 4, 8, options, fixed(0.5), NOW_MS)).toEqual({ action: 'retry', delayMs: 8000 });
  });

  it('lets Retry-After ask for longer than the step, never for sooner', () => {
    const longer = decide({ kind: 'response', status: 429, retryAfter: '30' }, 1, 8, options, fixed(0.5), NOW_MS, 'svix');
    expect(longer).toEqual({ action: 'retry', delayMs: 30_000 });
    const sooner = decide({ kind: 'response', status: 429, retryAfter: '1' }, 2, 8, options, fixed(0.5), NOW_MS, 'svix');
    expect(sooner).toEqual({ action: 'retry', delayMs: 5 * MIN });
  });

  it('repeats its last step past the ladder, and fails after the last attempt', () => {
    expect(scheduledDelayMs('svix', 9, options, fixed(0.5))).toBe(10 * HOUR);
    expect(decide({ kind: 'error' }, 8, 8, options, fixed(0.5), NOW_MS, 'svix')).toEqual({ action: 'fail', reason: 'gave up after 8 attempts' });
  });
});
