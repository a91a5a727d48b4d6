import type { Now } from '../clock';
import { attemptOutcome, type Metrics } from '../metrics/metrics';
import { DestinationForbiddenError } from '../security/destination';
import { USER_AGENT } from '../version';
import type { Attempt, DeliveryRecord } from './delivery-store';
import type { AttemptTarget } from './delivery-target';
import type { AttemptResult } from './retry-policy';
import { signatureHeaders } from './sign-headers';
import type { Transport } from './transport';

export interface AttemptInput {
  readonly transport: Transport;
  readonly now: Now;
  readonly metrics: Pick<Metrics, 'attempt'>;
  readonly record: DeliveryRecord;
  /** Where this attempt goes, its headers, body and the secrets it signs with (delivery-target.ts). */
  readonly target: AttemptTarget;
  /** `number` and `series` of the attempt record. */
  readonly number: number;
  readonly series: number;
}

export interface AttemptOutcome {
  readonly attempt: Attempt;
  /** What the retry policy decides on. */
  readonly result: AttemptResult;
  /** Refused by the destination rules at connect time: never retried. */
  readonly forbidden: boolean;
}

/**
 * The connect-time guard's refusal, wherever fetch wrapped it (`TypeError: fetch failed` with a cause).
 * Walks `cause` duck-typed: undici's wrapper may come from another realm, where `instanceof Error` fails.
 */
function forbiddenCause(error: unknown): DestinationForbiddenError | undefined {
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    if (current instanceof DestinationForbiddenError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorMessage(error: unknown): string {
  // Duck-typed rather than `instanceof Error`: fetch's TimeoutError is a DOMException, and errors from
  // another realm (a VM context, Jest's sandbox) fail `instanceof` while being errors all the same.
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    const { name, message } = error as { name?: unknown; message: string };
    if (name === 'TimeoutError') return 'timed out';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    return detail ? `${message}: ${detail}` : message;
  }
  return String(error);
}

/**
 * One HTTP try of a delivery: signs the body afresh (timestamp of this moment, same event id) and POSTs it
 * through the transport (no redirects followed, the delivery's timeout, at most `RESPONSE_PREVIEW_BYTES` of the
 * answer kept). Never throws: a network error or a timeout is an outcome.
 */
export async function attemptDelivery(input: AttemptInput): Promise<AttemptOutcome> {
  const { transport, now, metrics, record, target } = input;
  const startedMs = now();
  // The URL on every attempt: an endpoint delivery goes where its endpoint points at that moment. The scheme
  // only when it is not the delivery's own (the endpoint's scheme was changed since the event was posted).
  const base = {
    number: input.number,
    series: input.series,
    startedAt: new Date(startedMs).toISOString(),
    url: target.url,
    ...(target.scheme !== record.scheme ? { scheme: target.scheme } : {}),
  };
  const headers = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    ...target.headers,
    ...signatureHeaders({
      scheme: target.scheme,
      eventId: record.eventId,
      eventType: record.eventType,
      body: target.body,
      secrets: target.secrets,
      timestampSeconds: Math.floor(startedMs / 1000),
    }),
  };
  try {
    const response = await transport(target.url, { headers, body: target.body, timeoutMs: record.timeoutMs });
    const durationMs = now() - startedMs;
    metrics.attempt(attemptOutcome(response.status), durationMs);
    return {
      attempt: { ...base, durationMs, statusCode: response.status, responseBody: response.preview },
      result: { kind: 'response', status: response.status, retryAfter: response.retryAfter },
      forbidden: false,
    };
  } catch (error) {
    const durationMs = now() - startedMs;
    // Refused by the destination rules at connect time (DNS rebinding, a redirect): not worth a retry.
    const forbidden = forbiddenCause(error);
    metrics.attempt(forbidden ? 'forbidden' : 'error', durationMs);
    const message = forbidden ? `destination forbidden: ${forbidden.message}` : errorMessage(error);
    return { attempt: { ...base, durationMs, error: message }, result: { kind: 'error' }, forbidden: forbidden !== undefined };
  }
}
