import type { RetryScheduleName } from './retry-policy';
import type { SendScheme } from './sign-headers';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * Where a delivery came from, so the page can link a delivery and the history entry it re-sends both ways:
 * `send` (POST /webhook/send), `replay` (POST /webhook/history/:id/replay), `forward` (FORWARD_URL),
 * `endpoint` (POST /webhook/events fanned out to a registered endpoint).
 */
export interface DeliverySource {
  readonly kind: 'send' | 'replay' | 'forward' | 'endpoint';
  /** The history entry a replay or a forward re-sends. */
  readonly historyId?: string;
  /**
   * The endpoint an event was fanned out to: each attempt goes to its URL, with its extra headers, in its
   * scheme, signed with its secrets, all read at the attempt (delivery-target.ts), so a PATCH or a rotation
   * holds from the next attempt on, retries and recoveries included.
   */
  readonly endpointId?: string;
  /** The customer (appId) the endpoint belongs to. */
  readonly appId?: string;
}

export interface Attempt {
  /** 1 for the first attempt of the delivery; numbering goes on across manual retries. */
  readonly number: number;
  /** 1 for the first series of attempts, 2 after the first `POST .../retry`, ... */
  readonly series: number;
  /** ISO 8601. */
  readonly startedAt: string;
  /** Where this attempt went (for an endpoint delivery, its endpoint's URL then). Absent on older records. */
  readonly url?: string;
  /** The scheme it was signed in, when not the delivery's `scheme` (its endpoint's scheme was changed). */
  readonly scheme?: SendScheme;
  readonly durationMs: number;
  readonly statusCode?: number;
  /** Network error or timeout, when no response came. */
  readonly error?: string;
  /** The first 1 KB of the response body, as text. */
  readonly responseBody?: string;
}

/**
 * One payload sent to one URL, and every attempt at it (SPEC.md section 2). Immutable: every change is a new
 * record handed to the store, so a store may keep the object it was given and hand it out again.
 */
export interface DeliveryRecord {
  readonly id: string;
  /** The same on every attempt and every retry series: receivers dedupe on it. */
  readonly eventId: string;
  readonly url: string;
  readonly eventType: string;
  readonly scheme: SendScheme;
  /** Absent on records stored before sources were recorded. */
  readonly source?: DeliverySource;
  readonly status: DeliveryStatus;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Attempts allowed per series. */
  readonly maxAttempts: number;
  /** The retry schedule between attempts; absent means `exponential` (SPEC.md section 2). */
  readonly retrySchedule?: RetryScheduleName;
  readonly timeoutMs: number;
  readonly attempts: readonly Attempt[];
  /** When the next attempt is due, while pending; else null. The outbox's schedule. */
  readonly nextAttemptAt: string | null;
  /** Why the delivery failed, or what stopped it. */
  readonly error: string | null;
  /** Set when the server stopped while this delivery was still pending. */
  readonly interruptedAt?: string;
  /**
   * The series the next attempt belongs to, once `POST .../retry` has started one that has no attempt yet.
   * Absent: the series of the last attempt (1 before any).
   */
  readonly series?: number;
}

export interface DeliveryQuery {
  readonly limit: number;
  readonly cursor?: string;
  readonly status?: DeliveryStatus;
}

export interface DeliveryPage {
  readonly items: readonly DeliveryRecord[];
  readonly nextCursor: string | null;
}

/** What a delivery sends, kept beside its record so a retry sends the same bytes. */
export interface DeliveryContent {
  readonly body: Buffer;
  /** A secret given in the send request; absent means the configured secrets, read at each attempt. */
  readonly secret?: string;
  /** Sign with every configured secret (one signature each) rather than the first only. */
  readonly signAll: boolean;
  /**
   * Extra headers sent on every attempt (lower-case names); see `SendRequest.headers`. Never an endpoint's:
   * those may hold credentials, and are read from the endpoint at each attempt instead.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A per-request secret was given but cannot be recovered (it was sealed under a `WEBHOOK_SECRET` no longer
   * configured): the delivery cannot be signed as asked, and must not fall back to the configured secrets.
   */
  readonly secretUnavailable?: boolean;
}

/** A delivery taken from the outbox to be attempted now, under a claim. */
export interface ClaimedDelivery {
  readonly record: DeliveryRecord;
  /** Undefined when the body is gone (it never should be): the delivery then fails. */
  readonly content: DeliveryContent | undefined;
}

/**
 * A claim: whoever holds `token` may record the outcome of the attempt until `leaseUntilMs`. Past it, another
 * worker may claim the delivery again, and the first one's outcome is refused (`complete` returns false), so a
 * worker that lost its lease can never write over the next one's.
 */
export interface Lease {
  readonly token: string;
  /** ms since the epoch. */
  readonly leaseUntilMs: number;
}

export interface ClaimOptions {
  /** A delivery is due when its `nextAttemptAt` is at or before this, in ms since the epoch. */
  readonly nowMs: number;
  /** Deliveries claimed at most: the free request slots. */
  readonly limit: number;
  /** Written on every delivery of this claim. */
  readonly token: string;
  /**
   * Each claim's lease lasts the delivery's own `timeoutMs` plus this, so it outlives the attempt (whose
   * timeout covers the response body too) and the write of its outcome.
   */
  readonly leaseMarginMs: number;
}

/**
 * The delivery contract, which is also the outbox: a delivery waiting for an attempt is a record with its due
 * time (`nextAttemptAt`) in the store, not a timer in a process. Every method returns a promise, so a networked
 * database fits the same contract; memory and SQLite implement it (src/storage/memory, src/storage/sqlite).
 * Records are immutable: `create`, `save` and `complete` take a new record, and the store may keep that object.
 */
export interface DeliveryStore {
  /**
   * Set by a store that other instances share (PostgreSQL), in ms: they add and reschedule deliveries this
   * instance is not told of, and a dead instance's claims run out, so the loop looks at the store at least
   * this often even when nothing is due by its own reckoning. Absent: this process is the only writer.
   */
  readonly pollIntervalMs?: number;
  /** Stores a new delivery and what it sends; with `lease`, already claimed by the caller, who attempts it now. */
  create(record: DeliveryRecord, content: DeliveryContent, lease?: Lease): Promise<void>;
  content(id: string): Promise<DeliveryContent | undefined>;
  get(id: string): Promise<DeliveryRecord | undefined>;
  /** Newest first by `createdAt`. */
  list(query: DeliveryQuery): Promise<DeliveryPage>;
  counts(): Promise<Readonly<Record<DeliveryStatus, number>>>;
  /**
   * Replaces a record that no claim holds (a new retry series, say). False, and nothing written, when a claim
   * holds it: an attempt is running, and its outcome is the next write.
   */
  save(record: DeliveryRecord): Promise<boolean>;
  /**
   * Claims up to `limit` pending deliveries due at `nowMs` that no live lease holds, earliest due first: the
   * only way a delivery waiting in the outbox gets attempted.
   */
  claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /**
   * Records the outcome of a claimed attempt (the new record: still pending with its next due time, or
   * finished) and releases the claim, only if `token` still holds it. False, and nothing written, otherwise.
   */
  complete(record: DeliveryRecord, token: string): Promise<boolean>;
  /** The earliest `nextAttemptAt` (ms) of a pending delivery that no claim holds; null when there is none. */
  nextDueMs(): Promise<number | null>;
  /**
   * The server is stopping: marks every pending delivery that no claim holds (`interruptedAt`, and an error
   * naming the attempt left undone); they stay pending, due as they were. A backend shared by several
   * instances marks none: there, a waiting delivery belongs to no instance.
   */
  interruptWaiting(atIso: string): Promise<void>;
}

/** The series a delivery's next attempt belongs to. */
export function currentSeries(record: DeliveryRecord): number {
  return record.series ?? record.attempts[record.attempts.length - 1]?.series ?? 1;
}

/** What a record says when the server stopped before its next attempt. */
export function interruptedError(record: DeliveryRecord): string {
  return `server stopped before attempt ${record.attempts.length + 1}`;
}

/** `nextAttemptAt` in ms; a pending record without one is due at once. */
export function dueMs(record: DeliveryRecord): number {
  return record.nextAttemptAt === null ? 0 : Date.parse(record.nextAttemptAt);
}
