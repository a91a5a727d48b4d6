import { ValidationError } from '../errors';
import type { Endpoint, Outcome } from './endpoint-store';

/**
 * What every endpoint store does the same way: the counters an outcome moves, and the list cursor.
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

/** The sequence number a page of endpoints starts after: 0 for the first page, else the cursor (oldest first). */
export function pageAfter(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  if (!/^\d{1,15}$/.test(cursor)) throw new ValidationError([{ field: 'cursor', message: 'is not a cursor this server issued' }]);
  return Number(cursor);
}
