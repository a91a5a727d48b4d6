import type { WebhookEvent } from '../processing/registry';
import type { ProcessingState, ProcessingStore } from '../processing/store';
import type { SchemeName } from '../signature/types';

export type HistoryStatus = 'accepted' | 'rejected';

export type { ProcessingState } from '../processing/store';

/** One received request, as `GET /webhook/history` shows it (SPEC.md section 3). */
export interface HistoryEntry {
  readonly id: string;
  /** ISO 8601. */
  readonly receivedAt: string;
  readonly eventType: string | null;
  readonly scheme: SchemeName | null;
  readonly status: HistoryStatus;
  /** `reason` is the error code of a rejection (`signature.mismatch`, ...); `message` explains it. */
  readonly verification: { readonly ok: boolean; readonly reason: string | null; readonly message?: string };
  /** Request headers with signature values, `Authorization` and cookies redacted. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body, else the body as text. */
  readonly payload: unknown;
  readonly sizeBytes: number;
  /** How many duplicates of this event arrived after it. */
  duplicates: number;
  /** Null for rejected requests, which are never processed. */
  processing: ProcessingState | null;
}

export interface HistoryQuery {
  /** 1 to 500. */
  readonly limit: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
  readonly eventType?: string;
  readonly status?: HistoryStatus;
}

export interface HistoryPage {
  readonly items: readonly HistoryEntry[];
  readonly nextCursor: string | null;
}

/**
 * The history contract. Accepted and rejected entries are bounded separately, so a flood of bad requests
 * never evicts an accepted event. Synchronous on purpose: the in-memory store and SQLite
 * (better-sqlite3) both answer without I/O waits, and the receive path stays free of awaits.
 */
export interface HistoryStore extends ProcessingStore {
  /**
   * Adds an entry; evicts the oldest of the same status when its list is full. `rawBody`, the verified
   * bytes, is kept while processing is pending, so `pendingProcessing` can hand the event to handlers again.
   */
  add(entry: HistoryEntry, rawBody?: Buffer): void;
  get(id: string): HistoryEntry | undefined;
  /** Newest first. Throws `ValidationError` for a cursor it did not issue. */
  list(query: HistoryQuery): HistoryPage;
  /** Counts one more duplicate of an accepted entry; unknown ids are ignored. */
  recordDuplicate(id: string): void;
  clear(): void;
  counts(): { readonly accepted: number; readonly rejected: number };
}

/** The event handlers see, rebuilt from a stored entry and its raw body. */
export function toWebhookEvent(entry: HistoryEntry, rawBody: Buffer | undefined): WebhookEvent {
  return {
    id: entry.id,
    eventType: entry.eventType,
    scheme: entry.scheme ?? 'native',
    receivedAt: entry.receivedAt,
    headers: entry.headers,
    payload: entry.payload,
    rawBody: rawBody ?? Buffer.alloc(0),
  };
}

export const DAY_MS = 86_400_000;
