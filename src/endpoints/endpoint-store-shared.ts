import type { Endpoint, Outcome } from './endpoint-store';

/**
 * What every endpoint store does the same way: the counters an outcome moves. (The list cursor is
 * `pageAfter` in paging.ts, beside the other stores' cursors.)
 */

/**
 * The endpoint after one of its deliveries ended: a success ends the failure streak; a failure starts it
 * (`failingSince`, the first failure after the last success) or extends it.
 */
export function applyOutcome(endpoint: Endpoint, outcome: Outcome): Endpoint {
  const at = new Date(outcome.atMs).toISOString();
  if (outcome.status === 'delivered') return { ...endpoint, lastSuccessAt: at, failingSince: null, failuresSinceSuccess: 0 };
  return { ...endpoint, lastFailureAt: at, failingSince: endpoint.failingSince ?? at, failuresSinceSuccess: endpoint.failuresSinceSuccess + 1 };
}
