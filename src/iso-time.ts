let lastMs = Number.NaN;
let last = '';

/**
 * `new Date(ms).toISOString()`, remembering the last answer: the string costs 0.74 µs to build, and a webhook's
 * history entry and its log line, and under load several webhooks, fall in the same millisecond (issue 13).
 */
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    last = new Date(ms).toISOString();
    lastMs = ms;
  }
  return last;
}
