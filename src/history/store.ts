import type { WebhookEvent } from '../processing/registry';
import type { EntryUpdate, ProcessingState, ProcessingStore } from '../processing/store';
import type { SignatureExplanation } from '../signature/explain';
import type { SchemeName } from '../signature/types';

export type HistoryStatus = 'accepted' | 'rejected';

export type { EntryUpdate, ProcessingState } from '../processing/store';

/** One received request, as `GET /webhook/history` shows it (SPEC.md section 3). */
export interface HistoryEntry {
  readonly id: string;
  /** ISO 8601. */
  readonly receivedAt: string;
  readonly eventType: string | null;
  readonly scheme: SchemeName | null;
  readonly status: HistoryStatus;
  /** `reason` is the error code of a rejection (`signature.mismatch`, ...); `message` explains it. */
  readonly verification: {
    readonly ok: boolean;
    readonly reason: string | null;
    readonly message?: string;
    /** Why a signature failed: the signed content, a likely mistake, the secrets' fingerprints (issue 16.3). */
    readonly explanation?: SignatureExplanation;
  };
  /** Request headers with signature values, `Authorization` and cookies redacted. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body, else the body as text. */
  readonly payload: unknown;
  readonly sizeBytes: number;
  /** How many duplicates of this event arrived after it. */
  duplicates: number;
  /** Null for rejected requests, which are never processed. */
  processing: ProcessingState | null;
  /** The mock-response rule that answered this request (POST /webhook/response-rules), when one did. */
  readonly response?: { readonly ruleId: string; readonly status: number };
}

export interface HistoryQuery {
  /** 1 to 500. */
  readonly limit: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
  /** An exact event type, or `prefix.*` for every type that starts with `prefix.` (see query.ts). */
  readonly eventType?: string;
  readonly status?: HistoryStatus;
  /**
   * The weight (`entryWeight`, query.ts) the page may hold: it stops before the entry that would pass it, with
   * a `nextCursor`, always holding at least one entry. Unbounded when absent.
   */
  readonly maxBytes?: number;
}

export interface HistoryPage {
  readonly items: readonly HistoryEntry[];
  readonly nextCursor: string | null;
}

/** What `accept` did: stored the entry, or found an earlier event under one of its keys and counted this one on it. */
export type AcceptOutcome =
  | {
      readonly stored: true;
      /** The id the entry is stored under: `entry.id`, or the fresh one when another scheme's entry held it. */
      readonly id: string;
    }
  | {
      readonly stored: false;
      /** The id of the earlier event, which the duplicate is answered with. */
      readonly duplicateOf: string;
      /** The earlier entry's changed fields (its duplicate count), for the feed; undefined if it is no longer kept. */
      readonly update: EntryUpdate | undefined;
    };

/**
 * The history contract. Accepted and rejected entries are bounded separately, so a flood of bad requests
 * never evicts an accepted event. Asynchronous (every method returns a promise) so that a networked
 * database fits it; a write resolves once it is durable (SQLite: its batch's COMMIT; memory: at once).
 */
export interface HistoryStore extends ProcessingStore {
  /**
   * The receive path's one store call, atomic: if any of `keys` names an earlier event that has not expired
   * at `nowMs`, or `entry.id` is an accepted entry of the same scheme already (its keys expired), counts a
   * duplicate on that event and says which. Otherwise stores `entry` with `rawBody` (kept while processing is
   * pending, for `pendingProcessing`) and remembers `keys` for it, under `entry.id`, unless an entry of another
   * scheme or a rejected entry holds that id: then under `freshId()`, so neither event suppresses the other
   * and the first keeps its id (docs/security.md, "Threat model"); the outcome says which id. No
   * check-then-insert race: two concurrent calls with a key in common store one entry, and two with the same
   * id from two schemes store both, under two ids. A duplicate is answered only once the earlier event is
   * durable too.
   */
  accept(entry: HistoryEntry, rawBody: Buffer, keys: readonly string[], nowMs: number, freshId: () => string): Promise<AcceptOutcome>;
  /** Adds an entry (a rejected request; tests); evicts the oldest of the same status when its list is full. */
  add(entry: HistoryEntry, rawBody?: Buffer): Promise<void>;
  get(id: string): Promise<HistoryEntry | undefined>;
  /** Newest first. Rejects with `ValidationError` for a cursor it did not issue. */
  list(query: HistoryQuery): Promise<HistoryPage>;
  /** Counts one more duplicate of an accepted entry; resolves with its changed fields, undefined for unknown ids. */
  recordDuplicate(id: string): Promise<EntryUpdate | undefined>;
  clear(): Promise<void>;
  counts(): Promise<{ readonly accepted: number; readonly rejected: number }>;
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

/**
 * What the entry already holding an id means for a new accepted entry with that id (`accept`): none, `free`;
 * an accepted entry of the same scheme, the same event (`duplicate`: its keys expired); anything else (another
 * scheme's event, a rejected request), `taken`: the new entry is stored under a fresh id. Shared by the backends.
 */
export function idHolderVerdict(holder: { readonly status: HistoryStatus; readonly scheme: SchemeName | null } | undefined, scheme: SchemeName | null): 'free' | 'duplicate' | 'taken' {
  if (holder === undefined) return 'free';
  return holder.status === 'accepted' && holder.scheme === scheme ? 'duplicate' : 'taken';
}

/**
 * How many of `rows` (newest first, one more than `limit` fetched) a page holds: at most `limit`, stopping
 * before the row that would pass `maxBytes` (HistoryQuery.maxBytes), always at least one. Shared by the SQL backends.
 */
export function pageLength(rows: readonly { readonly weight: number }[], limit: number, maxBytes = Number.POSITIVE_INFINITY): number {
  let count = 0;
  let weight = 0;
  while (count < rows.length && count < limit && (count === 0 || weight + rows[count]!.weight <= maxBytes)) {
    weight += rows[count]!.weight;
    count += 1;
  }
  return count;
}
