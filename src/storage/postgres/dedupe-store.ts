import type { Pool } from 'pg';
import type { DedupeStore } from '../../dedupe/store';
import { storedKey } from '../sqlite/dedupe-store';
import type { PgBatch } from './batch';
import type { Queryable } from './rows';

export interface PgDedupeOptions {
  /** How long a key is remembered, in seconds. */
  readonly ttlSeconds: number;
  /** Keys kept at most; past it the soonest to expire are forgotten first (by `enforceLimits`). */
  readonly maxEntries: number;
}

/** Expired keys deleted per statement by `sweep`. */
export const PG_SWEEP_BATCH = 5000;

/** A key as stored: an id's UTF-8 bytes, a signature's tag byte and SHA-256 (as SQLite stores it). */
export function keyBytes(key: string): Buffer {
  const stored = storedKey(key);
  return typeof stored === 'string' ? Buffer.from(stored, 'utf8') : stored;
}

/** Each key once, in the order given: one INSERT may not touch a row twice. */
export function uniqueKeys(keys: readonly string[]): Buffer[] {
  return [...new Set(keys)].map(keyBytes);
}

/**
 * Dedupe keys in PostgreSQL, shared by every instance. The receive path never calls `lookup` then `remember`
 * (a race between instances): `PgHistoryStore.accept` claims the keys in the same statement as it inserts the
 * entry, and PostgreSQL's unique index decides. Expiry and `maxEntries` are enforced by the maintenance job, not on
 * every insert.
 */
export class PgDedupeStore implements DedupeStore {
  readonly ttlMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly batch: PgBatch,
    private readonly options: PgDedupeOptions,
  ) {
    this.ttlMs = options.ttlSeconds * 1000;
  }

  /** The event first remembered under any of `keys` (in their order) that has not expired at `nowMs`. */
  static async find(tx: Queryable, keys: readonly Buffer[], nowMs: number): Promise<string | undefined> {
    const { rows } = await tx.query<{ event_id: string }>(
      'SELECT event_id FROM dedupe_keys WHERE key = ANY($1::bytea[]) AND expires_at_ms > $2 ORDER BY array_position($1::bytea[], key) LIMIT 1',
      [keys, nowMs],
    );
    return rows[0]?.event_id;
  }

  lookup(keys: readonly string[], nowMs: number): Promise<string | undefined> {
    return PgDedupeStore.find(this.pool, uniqueKeys(keys), nowMs);
  }

  async remember(keys: readonly string[], eventId: string, nowMs: number): Promise<void> {
    await this.batch.commit((tx) =>
      tx.query(
        `INSERT INTO dedupe_keys (key, event_id, expires_at_ms) SELECT k, $2, $3 FROM unnest($1::bytea[]) AS k
         ON CONFLICT (key) DO UPDATE SET event_id = EXCLUDED.event_id, expires_at_ms = EXCLUDED.expires_at_ms`,
        [uniqueKeys(keys), eventId, nowMs + this.ttlMs],
      ),
    );
  }

  async size(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM dedupe_keys');
    return rows[0]!.n;
  }

  /** Deletes keys expired at `nowMs`, at most `batch`; returns how many. Call again while it returns `batch`. */
  async sweep(nowMs: number, batch = PG_SWEEP_BATCH, db: Queryable = this.pool): Promise<number> {
    const { rowCount } = await db.query(
      'DELETE FROM dedupe_keys WHERE key IN (SELECT key FROM dedupe_keys WHERE expires_at_ms <= $1 LIMIT $2)',
      [nowMs, batch],
    );
    return rowCount ?? 0;
  }

  /** Forgets the keys past `maxEntries`, soonest to expire first (a key remembered later expires later). */
  async enforceLimits(db: Queryable = this.pool): Promise<number> {
    const { rowCount } = await db.query(
      `DELETE FROM dedupe_keys WHERE expires_at_ms < (
         SELECT expires_at_ms FROM dedupe_keys ORDER BY expires_at_ms DESC OFFSET $1 - 1 LIMIT 1)`,
      [this.options.maxEntries],
    );
    return rowCount ?? 0;
  }
}
