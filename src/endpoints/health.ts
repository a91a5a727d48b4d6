import type { Endpoint } from './endpoint-store';

/** Failed deliveries needed, beside the time, before an endpoint is disabled: a few failures in a quiet week are not enough. */
export const DISABLE_MIN_FAILURES = 10;

/**
 * Whether the failure rule switches an enabled endpoint off at `nowMs` (issue 15): every delivery has failed
 * since the first failure after the last success, that was at least `disableAfterMs` ago, and at least
 * `DISABLE_MIN_FAILURES` deliveries have failed since.
 */
export function shouldDisable(endpoint: Endpoint, nowMs: number, disableAfterMs: number): boolean {
  if (!endpoint.enabled || endpoint.failingSince === null) return false;
  return endpoint.failuresSinceSuccess >= DISABLE_MIN_FAILURES && nowMs - Date.parse(endpoint.failingSince) >= disableAfterMs;
}

/** What the endpoint says once disabled by the rule. */
export function disabledReason(endpoint: Endpoint): string {
  return `disabled after ${endpoint.failuresSinceSuccess} failed deliveries and no success since ${endpoint.failingSince}`;
}
