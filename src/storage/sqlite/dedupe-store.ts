import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { directWrites, type Writes } from './group-commit';
import type { DedupeStore } from '../../dedupe/store';

export interface SqliteDedupeOptions {
  /** How long a key is remembered, in seconds. */
  readonly ttlSeconds: number;
  /** Keys kept at most; past it the oldest are forgotten first. */
  readonly maxEntries: number;
}

/** Expired keys deleted per statement by `sweep`: keeps each pause of the event loop short. */
export const SWEEP_BATCH = 5000;

/** First byte of a stored signature key: a blob, so it can never equal an `id:` key, which is text. */
const SIGNATURE_TAG = Buffer.from([1]);

/**
 * The key as stored. A signature is a credential-like value (an exact replay of it is accepted within the
 * tolerance), so only its SHA-256 reaches the disk, as 33 bytes (a tag byte and the digest); lookups hash the
 * same way. Event ids stay readable text: ids that grow over time (ULIDs, KSUIDs, Stripe's) then land on
 * neighbouring index pages.
 */
export function storedKey(key: string): string | Buffer {
  if (!key.startsWith('sig:')) return key;
  return Buffer.concat([SIGNATURE_TAG, createHash('sha256').update(key.slice('sig:'.length)).digest()]);
}

/**
 * Dedupe keys in SQLite: same contract as `MemoryDedupeStore`, kept across restarts, so a sender's retry after
 * our restart is still answered as a duplicate. Expired rows are deleted by `sweep` (in batches, from a
 * timer that `server.ts` starts); `maxEntries` bounds the table on every insert.
 */
export class SqliteDedupeStore implements DedupeStore {
  private readonly ttlMs: number;
  private readonly statements: { lookup: Statement; remember: Statement; bound: Statement; expire: Statement; size: Statement };

  /** @param writes the storage's group commit (see `SqliteHistoryStore`); each write in its own transaction by default. */
  constructor(
    db: Database,
    private readonly options: SqliteDedupeOptions,
    private readonly writes: Writes = directWrites(db),
  ) {
    this.ttlMs = options.ttlSeconds * 1000;
    this.statements = {
      lookup: db.prepare('SELECT event_id FROM dedupe_keys WHERE key = ? AND expires_at_ms > ?').pluck(),
      // REPLACE gives the key a new seq (the largest rowid plus one): like the memory store, a key remembered
      // again moves to the back.
      remember: db.prepare('INSERT OR REPLACE INTO dedupe_keys (key, event_id, expires_at_ms) VALUES (?, ?, ?)'),
      bound: db.prepare('DELETE FROM dedupe_keys WHERE seq <= ?'),
      expire: db.prepare('DELETE FROM dedupe_keys WHERE seq IN (SELECT seq FROM dedupe_keys WHERE expires_at_ms <= ? LIMIT ?)'),
      size: db.prepare('SELECT COUNT(*) FROM dedupe_keys').pluck(),
    };
  }

  lookup(keys: readonly string[], nowMs: number): Promise<string | undefined> {
    try {
      return Promise.resolve(this.find(keys, nowMs));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  remember(keys: readonly string[], eventId: string, nowMs: number): Promise<void> {
    return this.writes.commit(() => this.keep(keys, eventId, nowMs));
  }

  async size(): Promise<number> {
    return this.statements.size.get() as number;
  }

  /** `lookup`, at once: what the history's `accept` checks in the same unit as it writes. */
  find(keys: readonly string[], nowMs: number): string | undefined {
    for (const key of keys) {
      const hit = this.statements.lookup.get(storedKey(key), nowMs) as string | undefined;
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** `remember`, in the transaction (unit) already open. */
  keep(keys: readonly string[], eventId: string, nowMs: number): void {
    let last = 0;
    for (const key of keys) last = Number(this.statements.remember.run(storedKey(key), eventId, nowMs + this.ttlMs).lastInsertRowid);
    // A new row's seq is above every other's, so the newest maxEntries keys are those above last - maxEntries.
    this.statements.bound.run(last - this.options.maxEntries);
  }

  /** Deletes keys expired at `nowMs`, at most `batch`; returns how many. Call again while it returns `batch`. */
  sweep(nowMs: number, batch = SWEEP_BATCH): number {
    return this.writes.now(() => this.statements.expire.run(nowMs, batch).changes);
  }
}
