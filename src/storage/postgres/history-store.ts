import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { entryWeight, eventTypeFilter } from '../../history/query';
import { DAY_MS, idHolderVerdict, pageLength, type AcceptOutcome, type EntryUpdate, type HistoryEntry, type HistoryPage, type HistoryQuery, type HistoryStatus, type HistoryStore, type ProcessingState } from '../../history/store';
import { pageBefore } from '../../paging';
import type { WebhookEvent } from '../../processing/registry';
import type { SchemeName } from '../../signature/types';
import type { PgBatch, Tx } from './batch';
import { PgDedupeStore, uniqueKeys } from './dedupe-store';
import type { ProcessingLeases } from './leases';
import { ROW_COLUMNS, toEntry, type HistoryRow, type Queryable } from './rows';

export interface PgHistoryOptions {
  /** Accepted entries kept (by `enforceLimits`); the oldest are evicted first. */
  readonly limit: number;
  /** Rejected entries kept, in their own list. */
  readonly rejectedLimit: number;
  /** Entries older than this many days are removed by `sweep`; 0 keeps them. */
  readonly retentionDays?: number;
  /** Total weight (`entryWeight`) of the accepted entries kept. Unbounded by default. */
  readonly maxBytes?: number;
  /** How long a dedupe key written by `accept` lives, in ms. */
  readonly dedupeTtlMs: number;
  /** This instance's processing leases: `accept` takes one on each event it stores. */
  readonly leases: ProcessingLeases;
}

/**
 * The history in PostgreSQL, shared by every instance: same contract as the memory and SQLite stores, except
 * that the limits (`HISTORY_LIMIT`, `REJECTED_HISTORY_LIMIT`, `HISTORY_MAX_BYTES`) are enforced by
 * `enforceLimits`, which the maintenance job runs under an advisory lock, rather than on every insert: one
 * instance trims for all, and an insert never counts the table. Writes are units of the group commit (batch.ts)
 * and announce the rows they change to the other instances (listener.ts).
 */
export class PgHistoryStore implements HistoryStore {
  private readonly retentionMs: number;

  constructor(
    private readonly pool: Pool,
    private readonly batch: PgBatch,
    private readonly options: PgHistoryOptions,
  ) {
    this.retentionMs = (options.retentionDays ?? 0) * DAY_MS;
  }

  async accept(entry: HistoryEntry, rawBody: Buffer, keys: readonly string[], nowMs: number, freshId: () => string): Promise<AcceptOutcome> {
    const stored = uniqueKeys(keys);
    const token = randomUUID();
    const outcome = await this.batch.commit(async (tx): Promise<AcceptOutcome> => {
      let current = entry;
      for (let tries = 1; ; tries += 1) {
        // One statement: the keys (ON CONFLICT decides who was first, waiting for a concurrent holder's COMMIT
        // or ROLLBACK), then the entry and its job only if every key was claimed.
        const { seq, claimed } = await this.insertRow(tx, current, rawBody, token, { keys: stored, nowMs });
        if (seq !== undefined) {
          tx.changed('r', seq);
          return { stored: true, id: current.id };
        }
        // Not stored: give back the keys this statement did claim (this unit's own undo, without a savepoint).
        if (claimed.length > 0) await tx.query('DELETE FROM dedupe_keys WHERE key = ANY($1::bytea[])', [claimed]);
        if (claimed.length < stored.length) {
          const seen = await PgDedupeStore.find(tx, stored, nowMs);
          if (seen !== undefined) return { stored: false, duplicateOf: seen, update: await this.countDuplicate(tx, seen) };
        } else {
          // Every key claimed, but the id is taken: by this event (an accepted entry of the same scheme whose
          // keys expired), or by another scheme's event or a rejected request (possibly committed by another
          // instance a moment ago): then this event takes a fresh id. Rare, so not in the one statement.
          const { rows } = await tx.query<{ status: HistoryStatus; scheme: SchemeName | null }>("SELECT status, entry::json->>'scheme' AS scheme FROM history WHERE id = $1", [current.id]);
          const verdict = idHolderVerdict(rows[0], current.scheme);
          if (verdict === 'duplicate') return { stored: false, duplicateOf: current.id, update: await this.countDuplicate(tx, current.id) };
          if (verdict === 'taken') current = { ...current, id: freshId() };
        }
        // A holder's key was swept between two statements, the id's holder went, or the id changed: claim again.
        if (tries >= 3) throw new Error('a dedupe key or an id changed hands three times while it was checked');
      }
    });
    if (outcome.stored && entry.processing?.state === 'pending') this.options.leases.hold(outcome.id, token);
    return outcome;
  }

  async add(entry: HistoryEntry, rawBody?: Buffer): Promise<void> {
    await this.batch.commit(async (tx) => {
      await tx.query('DELETE FROM history WHERE id = $1', [entry.id]);
      // Not leased: an event added this way is processed by whichever instance claims it.
      const { seq } = await this.insertRow(tx, entry, rawBody ?? Buffer.alloc(0), null);
      if (seq !== undefined) tx.changed('r', seq);
    });
  }

  /**
   * In one statement: claims `claim.keys` (those not held by a live key at `claim.nowMs`), then, only if it
   * claimed all of them, inserts the entry and, when it is accepted and pending, its processing job with the
   * raw body, leased to this instance under `token` (null: free for any instance to claim). Answers the new
   * row's seq (undefined when not inserted: a key or the id is taken) and the keys it claimed.
   */
  private async insertRow(
    tx: Tx,
    entry: HistoryEntry,
    rawBody: Buffer,
    token: string | null,
    claim: { keys: readonly Buffer[]; nowMs: number } = { keys: [], nowMs: 0 },
  ): Promise<{ seq: string | undefined; claimed: Buffer[] }> {
    const { duplicates, processing, ...rest } = entry;
    const pending = entry.status === 'accepted' && processing?.state === 'pending';
    const { rows } = await tx.query<{ seq: string | null; claimed: Buffer[] }>(
      `WITH k AS (
         INSERT INTO dedupe_keys (key, event_id, expires_at_ms) SELECT k, $1::text, $15::bigint FROM unnest($14::bytea[]) AS k
         ON CONFLICT (key) DO UPDATE SET event_id = EXCLUDED.event_id, expires_at_ms = EXCLUDED.expires_at_ms
         WHERE dedupe_keys.expires_at_ms <= $16::bigint
         RETURNING key
       ), h AS (
         INSERT INTO history (id, status, event_type, received_at, entry, duplicates, processing, weight)
         SELECT $1::text, $2::text, $3::text, $4::timestamptz, $5::text, $6::int, $7::jsonb, $8::int
         WHERE (SELECT count(*) FROM k) = cardinality($14::bytea[])
         ON CONFLICT (id) DO NOTHING RETURNING seq
       ), j AS (
         INSERT INTO processing_jobs (history_seq, raw_body, lease_owner, lease_token, lease_expires_at)
         SELECT seq, $9, CASE WHEN $11::uuid IS NULL THEN NULL ELSE $10::text END, $11::uuid,
                CASE WHEN $11::uuid IS NULL THEN '-infinity'::timestamptz ELSE clock_timestamp() + $12::float8 * interval '1 millisecond' END
         FROM h WHERE $13::boolean
       ) SELECT (SELECT seq FROM h) AS seq, ARRAY(SELECT key FROM k) AS claimed`,
      [
        entry.id,
        entry.status,
        entry.eventType,
        entry.receivedAt,
        JSON.stringify(rest),
        duplicates,
        processing === null ? null : JSON.stringify(processing),
        entryWeight(entry),
        rawBody,
        this.options.leases.owner,
        token,
        this.options.leases.leaseMs,
        pending,
        claim.keys,
        claim.nowMs + this.options.dedupeTtlMs,
        claim.nowMs,
      ],
    );
    return { seq: rows[0]!.seq ?? undefined, claimed: rows[0]!.claimed };
  }

  private async countDuplicate(tx: Tx, id: string): Promise<EntryUpdate | undefined> {
    const { rows } = await tx.query<{ seq: string; duplicates: number; processing: ProcessingState | null }>(
      "UPDATE history SET duplicates = duplicates + 1 WHERE id = $1 AND status = 'accepted' RETURNING seq, duplicates, processing",
      [id],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    tx.changed('u', row.seq);
    return { id, duplicates: row.duplicates, processing: row.processing };
  }

  async get(id: string): Promise<HistoryEntry | undefined> {
    const { rows } = await this.pool.query<HistoryRow>(`SELECT ${ROW_COLUMNS} FROM history WHERE id = $1`, [id]);
    return rows[0] && toEntry(rows[0]);
  }

  async list(query: HistoryQuery): Promise<HistoryPage> {
    const values: unknown[] = [pageBefore(query.cursor), query.limit + 1];
    const where = ['seq < $1'];
    if (query.status !== undefined) where.push(`status = $${values.push(query.status)}`);
    const filter = eventTypeFilter(query.eventType);
    if (filter !== undefined && 'exact' in filter) where.push(`event_type = $${values.push(filter.exact)}`);
    if (filter !== undefined && 'prefix' in filter) where.push(`starts_with(event_type, $${values.push(filter.prefix)})`);
    // One row more than asked tells whether there is a next page.
    const { rows } = await this.pool.query<HistoryRow>(`SELECT ${ROW_COLUMNS} FROM history WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $2`, values);
    const count = pageLength(rows, query.limit, query.maxBytes);
    const page = rows.slice(0, count);
    return { items: page.map(toEntry), nextCursor: count < rows.length ? page[page.length - 1]!.seq : null };
  }

  recordDuplicate(id: string): Promise<EntryUpdate | undefined> {
    return this.batch.commit((tx) => this.countDuplicate(tx, id));
  }

  /**
   * Records an outcome and ends the event's processing job. With a lease held here, only under that lease's
   * token: an instance whose lease expired (and was taken over) records nothing, and gets undefined.
   */
  async setProcessing(id: string, processing: ProcessingState): Promise<EntryUpdate | undefined> {
    const token = this.options.leases.tokenOf(id) ?? null;
    // Released whether or not the write succeeds: an outcome that could not be recorded leaves the job to
    // expire and be claimed again (at-least-once), rather than renewed here for ever.
    if (processing.state !== 'pending') this.options.leases.release(id, token);
    return this.batch.commit(async (tx) => {
      const { rows } = await tx.query<{ seq: string; duplicates: number }>(
        `WITH h AS (SELECT seq FROM history WHERE id = $1),
         j AS (DELETE FROM processing_jobs WHERE $4::boolean AND history_seq = (SELECT seq FROM h) AND ($2::uuid IS NULL OR lease_token = $2::uuid) RETURNING history_seq)
         UPDATE history SET processing = $3 WHERE seq = (SELECT seq FROM h) AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM j))
         RETURNING seq, duplicates`,
        [id, token, JSON.stringify(processing), processing.state !== 'pending'],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      tx.changed('u', row.seq);
      return { id, duplicates: row.duplicates, processing };
    });
  }

  /**
   * Claims the events no live instance is processing (never leased, or their lease expired; and any this
   * instance's owner id still holds), oldest first: at start-up, what the previous run left pending.
   */
  pendingProcessing(): Promise<WebhookEvent[]> {
    return this.options.leases.claim(this.pool, { includeOwn: true });
  }

  async clear(): Promise<void> {
    await this.batch.commit(async (tx) => {
      await tx.query('DELETE FROM history');
      tx.changed('c', 0);
    });
  }

  async counts(): Promise<{ accepted: number; rejected: number }> {
    const { rows } = await this.pool.query<{ status: 'accepted' | 'rejected'; n: number }>('SELECT status, count(*)::int AS n FROM history GROUP BY status');
    const counts = { accepted: 0, rejected: 0 };
    for (const row of rows) counts[row.status] = row.n;
    return counts;
  }

  /** Removes entries received more than the retention before `nowMs`; returns how many. */
  async sweep(nowMs: number, db: Queryable = this.pool): Promise<number> {
    if (this.retentionMs === 0) return 0;
    const { rowCount } = await db.query('DELETE FROM history WHERE received_at < $1', [new Date(nowMs - this.retentionMs)]);
    return rowCount ?? 0;
  }

  /** Evicts the oldest entries past the limits (never the newest accepted one for weight); returns how many. */
  async enforceLimits(db: Queryable = this.pool): Promise<number> {
    let removed = 0;
    for (const [status, limit] of [['accepted', this.options.limit], ['rejected', this.options.rejectedLimit]] as const) {
      const { rowCount } = await db.query(
        'DELETE FROM history WHERE status = $1 AND seq < (SELECT seq FROM history WHERE status = $1 ORDER BY seq DESC OFFSET $2 - 1 LIMIT 1)',
        [status, limit],
      );
      removed += rowCount ?? 0;
    }
    if (this.options.maxBytes !== undefined && Number.isFinite(this.options.maxBytes)) {
      const { rowCount } = await db.query(
        `DELETE FROM history WHERE seq IN (
           SELECT seq FROM (SELECT seq, sum(weight) OVER (ORDER BY seq DESC) AS total, row_number() OVER (ORDER BY seq DESC) AS n
                            FROM history WHERE status = 'accepted') t
           WHERE t.total > $1 AND t.n > 1)`,
        [this.options.maxBytes],
      );
      removed += rowCount ?? 0;
    }
    return removed;
  }
}
