import type { SendScheme } from './sign-headers';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * Where a delivery came from, so the page can link a delivery and the history entry it re-sends both ways:
 * `send` (POST /webhook/send), `replay` (POST /webhook/history/:id/replay), `forward` (FORWARD_URL).
 */
export interface DeliverySource {
  readonly kind: 'send' | 'replay' | 'forward';
  /** The history entry a replay or a forward re-sends. */
  readonly historyId?: string;
}

export interface Attempt {
  /** 1 for the first attempt of the delivery; numbering goes on across manual retries. */
  readonly number: number;
  /** 1 for the first series of attempts, 2 after the first `POST .../retry`, ... */
  readonly series: number;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly durationMs: number;
  readonly statusCode?: number;
  /** Network error or timeout, when no response came. */
  readonly error?: string;
  /** The first 1 KB of the response body, as text. */
  readonly responseBody?: string;
}

/** One payload sent to one URL, and every attempt at it (SPEC.md section 2). */
export interface DeliveryRecord {
  readonly id: string;
  /** The same on every attempt and every retry series: receivers dedupe on it. */
  readonly eventId: string;
  readonly url: string;
  readonly eventType: string;
  readonly scheme: SendScheme;
  /** Absent on records stored before sources were recorded. */
  readonly source?: DeliverySource;
  status: DeliveryStatus;
  /** ISO 8601. */
  readonly createdAt: string;
  updatedAt: string;
  /** Attempts allowed per series. */
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  attempts: Attempt[];
  /** When the next attempt is due, while pending and waiting; else null. */
  nextAttemptAt: string | null;
  /** Why the delivery failed, or what stopped it. */
  error: string | null;
  /** Set when the server stopped while this delivery was still pending. */
  interruptedAt?: string;
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
  /** Extra headers sent on every attempt (lower-case names); see `SendRequest.headers`. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A per-request secret was given but cannot be recovered (it was sealed under a `WEBHOOK_SECRET` no longer
   * configured): the delivery cannot be signed as asked, and must not fall back to the configured secrets.
   */
  readonly secretUnavailable?: boolean;
}

/** The delivery contract: records and their attempts. Synchronous, like the history store. */
export interface DeliveryStore {
  create(record: DeliveryRecord, content: DeliveryContent): void;
  content(id: string): DeliveryContent | undefined;
  /** Persists changes made to a record returned by `get` or passed to `create`. */
  save(record: DeliveryRecord): void;
  get(id: string): DeliveryRecord | undefined;
  /** Newest first by `createdAt`. */
  list(query: DeliveryQuery): DeliveryPage;
  /** Deliveries still pending, oldest first: after a restart, the outbox to resume. */
  pending(): DeliveryRecord[];
  counts(): Readonly<Record<DeliveryStatus, number>>;
}
