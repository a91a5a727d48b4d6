import type { Attempt, DeliveryRecord } from './delivery-store';
import { interruptedError } from './delivery-store';
import type { Decision } from './retry-policy';

/**
 * How a delivery record changes, as pure functions returning a new record: the store may hold the old one,
 * and readers (the API, the page) may be serializing it at this moment.
 */

const iso = (ms: number): string => new Date(ms).toISOString();

/** The record without the marks that only last until the next attempt (an interruption, a series not yet begun). */
function settledMarks(record: DeliveryRecord): DeliveryRecord {
  const { interruptedAt: _interruptedAt, series: _series, ...rest } = record;
  return rest;
}

/** Ended: delivered, or failed with `error`. */
export function finished(record: DeliveryRecord, status: 'delivered' | 'failed', error: string | null, nowMs: number): DeliveryRecord {
  return { ...settledMarks(record), status, error, nextAttemptAt: null, updatedAt: iso(nowMs) };
}

/** After an attempt: its record appended, and the retry policy's decision applied. */
export function afterAttempt(record: DeliveryRecord, attempt: Attempt, decision: Decision, nowMs: number): DeliveryRecord {
  const next: DeliveryRecord = { ...settledMarks(record), attempts: [...record.attempts, attempt], updatedAt: iso(nowMs) };
  if (decision.action === 'delivered') return finished(next, 'delivered', null, nowMs);
  if (decision.action === 'fail') {
    const last = attempt.statusCode !== undefined ? `last status ${attempt.statusCode}` : `last error: ${attempt.error}`;
    return finished(next, 'failed', `${decision.reason} (${last})`, nowMs);
  }
  return { ...next, status: 'pending', error: null, nextAttemptAt: iso(nowMs + decision.delayMs) };
}

/** The server is stopping before the next attempt: still pending (a durable store resumes it), and says so. */
export function interrupted(record: DeliveryRecord, nowMs: number): DeliveryRecord {
  return { ...record, interruptedAt: iso(nowMs), updatedAt: iso(nowMs), error: interruptedError(record) };
}

/** `POST .../retry`: a new series of attempts, due at once, same event id and body. */
export function newSeries(record: DeliveryRecord, series: number, nowMs: number): DeliveryRecord {
  return { ...settledMarks(record), status: 'pending', error: null, updatedAt: iso(nowMs), nextAttemptAt: iso(nowMs), series };
}

/** No attempt could be made (its endpoint could not be read): still pending, due again after `delayMs`, no attempt counted. */
export function postponed(record: DeliveryRecord, error: string, nowMs: number, delayMs: number): DeliveryRecord {
  return { ...record, status: 'pending', error, updatedAt: iso(nowMs), nextAttemptAt: iso(nowMs + delayMs) };
}
