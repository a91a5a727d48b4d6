import type { Pool } from 'pg';
import { pageBefore } from '../../paging';
import {
  dueMs,
  type ClaimOptions,
  type ClaimedDelivery,
  type DeliveryContent,
  type DeliveryPage,
  type DeliveryQuery,
  type DeliveryRecord,
  type DeliveryStatus,
  type DeliveryStore,
  type Lease,
} from '../../sender/delivery-store';
import { openSealed, sealSecret } from '../seal';
import type { PgBatch } from './batch';
import type { Queryable } from './rows';

/**
 * How often an idle instance looks at the outbox for deliveries it was not told about: those another instance
 * stored or rescheduled, and those whose lease ran out because their instance died. The wait a due delivery
 * may add on an instance that is otherwise idle; one indexed query per interval.
 */
export const PG_DELIVERY_POLL_MS = 1_000;

export interface PgDeliveryOptions {
  /** Finished deliveries kept (by `enforceLimits`); the oldest finished are evicted first. */
  readonly limit: number;
  /** The configured secrets, read at each call: they seal and open per-request secrets (see `seal.ts`). */
  readonly secrets: () => readonly string[];
  /** This instance's id, written beside each lease it takes (for an operator reading the table). */
  readonly owner: string;
  /** See `PG_DELIVERY_POLL_MS`. */
  readonly pollIntervalMs?: number;
}

interface ContentRow {
  body: Buffer;
  secret_sealed: Buffer | null;
  sign_all: boolean;
  headers: string | null;
}

interface RecordRow {
  seq: string;
  record: string;
}

/** Outcomes written by one statement at most. */
const OUTCOMES_PER_STATEMENT = 500;

const FINISHED_SEQ = `CASE WHEN $2 = 'pending' THEN NULL ELSE nextval('deliveries_finished_seq') END`;

/**
 * The delivery outbox in PostgreSQL, shared by every instance (docs/scaling.md). A delivery waiting for an
 * attempt is its row and its due time (`due_ms`), in no process's memory; each instance claims what is due in
 * one short statement (`FOR UPDATE SKIP LOCKED`: instances claiming at once take different rows and never wait
 * for each other), and no transaction is open while the attempt's request runs. A claim is a lease (the
 * delivery's timeout plus the loop's margin, so it outlives the attempt and the write of its outcome) fenced by
 * its token: the outcome is written only while that token holds, so an instance that stalled past its lease,
 * while another took the delivery over, records nothing. A dead instance renews nothing: its claims run out
 * and the next claim takes them (the same statement, no separate reaper needed), and the deliveries it had
 * waiting for a retry are anybody's at their due time.
 *
 * Same contract as the memory and SQLite stores, except: the limit on finished deliveries is enforced by
 * `enforceLimits` (the maintenance job, under its advisory lock), not on every write; `interruptWaiting` marks
 * nothing, since a waiting delivery belongs to no instance; and claims left by a previous process are not
 * released at start-up (they may be another live instance's), they expire.
 */
export class PgDeliveryStore implements DeliveryStore {
  readonly pollIntervalMs: number;
  private outcomes: { record: DeliveryRecord; token: string; resolve: (written: boolean) => void; reject: (error: unknown) => void }[] = [];

  /** @param batch the storage's group commit: the creates and outcomes of one turn share one COMMIT. */
  constructor(
    private readonly pool: Pool,
    private readonly batch: PgBatch,
    private readonly options: PgDeliveryOptions,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? PG_DELIVERY_POLL_MS;
  }

  async create(record: DeliveryRecord, content: DeliveryContent, lease?: Lease): Promise<void> {
    await this.batch.commit((tx) => this.insert(tx, record, content, lease));
  }

  /**
   * Stores a new delivery with the caller's transaction (an endpoint store's `recordEvent` writes an event's
   * deliveries in its own); rejects on an id that exists.
   */
  async insert(tx: Queryable, record: DeliveryRecord, content: DeliveryContent, lease?: Lease): Promise<void> {
    const pending = record.status === 'pending';
    const values = [
      record.id,
      record.status,
      JSON.stringify(record),
      content.body,
      content.secret === undefined ? null : sealSecret(content.secret, this.options.secrets()),
      content.signAll,
      record.timeoutMs,
      pending ? dueMs(record) : null,
      lease ? this.options.owner : null,
      lease?.token ?? null,
      lease?.leaseUntilMs ?? null,
      content.headers === undefined ? null : JSON.stringify(content.headers),
    ];
    await tx.query(
      `INSERT INTO deliveries (id, status, record, body, secret_sealed, sign_all, timeout_ms, due_ms, lease_owner, lease_token, lease_until_ms, headers, finished_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ${FINISHED_SEQ})`,
      values,
    );
  }

  async content(id: string): Promise<DeliveryContent | undefined> {
    const { rows } = await this.pool.query<ContentRow>('SELECT body, secret_sealed, sign_all, headers FROM deliveries WHERE id = $1', [id]);
    return rows[0] && this.openContent(rows[0]);
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const { rows } = await this.pool.query<{ record: string }>('SELECT record FROM deliveries WHERE id = $1', [id]);
    return rows[0] && (JSON.parse(rows[0].record) as DeliveryRecord);
  }

  async list(query: DeliveryQuery): Promise<DeliveryPage> {
    const before = pageBefore(query.cursor);
    const bound = String(before);
    const { rows } =
      query.status === undefined
        ? await this.pool.query<RecordRow>('SELECT seq, record FROM deliveries WHERE seq < $1 ORDER BY seq DESC LIMIT $2', [bound, query.limit + 1])
        : await this.pool.query<RecordRow>('SELECT seq, record FROM deliveries WHERE status = $3 AND seq < $1 ORDER BY seq DESC LIMIT $2', [
            bound,
            query.limit + 1,
            query.status,
          ]);
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    return { items: page.map((row) => JSON.parse(row.record) as DeliveryRecord), nextCursor: more ? page[page.length - 1]!.seq : null };
  }

  async counts(): Promise<Record<DeliveryStatus, number>> {
    const counts: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };
    const { rows } = await this.pool.query<{ status: DeliveryStatus; n: string }>('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status');
    for (const { status, n } of rows) counts[status] = Number(n);
    return counts;
  }

  async save(record: DeliveryRecord): Promise<boolean> {
    return this.write(record, 'lease_token IS NULL', []);
  }

  async claimDue({ nowMs, limit, token, leaseMarginMs }: ClaimOptions): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    // One statement, its own short transaction: the due rows no live lease holds (a lease that ran out is a
    // dead or stalled instance's, taken over here), earliest due first; rows another instance is claiming at
    // this moment are skipped, not waited for.
    const { rows } = await this.pool.query<ContentRow & RecordRow & { due_ms: string }>(
      `UPDATE deliveries d SET lease_owner = $1, lease_token = $2, lease_until_ms = $3::bigint + d.timeout_ms + $4::bigint
       FROM (SELECT seq FROM deliveries
             WHERE status = 'pending' AND due_ms <= $3::bigint AND (lease_token IS NULL OR lease_until_ms <= $3::bigint)
             ORDER BY due_ms, seq LIMIT $5 FOR UPDATE SKIP LOCKED) c
       WHERE d.seq = c.seq
       RETURNING d.seq, d.record, d.body, d.secret_sealed, d.sign_all, d.headers, d.due_ms`,
      [this.options.owner, token, nowMs, leaseMarginMs, limit],
    );
    rows.sort((a, b) => Number(a.due_ms) - Number(b.due_ms) || Number(BigInt(a.seq) - BigInt(b.seq)));
    return rows.map((row) => ({ record: JSON.parse(row.record) as DeliveryRecord, content: this.openContent(row) }));
  }

  /**
   * The outcomes of one turn go in one statement (an `UPDATE ... FROM unnest(...)`, its own transaction): an
   * attempt's request slot is held until its outcome is written, so the write's latency bounds the delivery
   * rate, and a unit of the group commit costs two round trips (its savepoint, its statement) one after the
   * other. Each outcome is still written only under its own token.
   */
  complete(record: DeliveryRecord, token: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.outcomes.push({ record, token, resolve, reject });
      if (this.outcomes.length === 1) setImmediate(() => void this.writeOutcomes());
    });
  }

  async nextDueMs(): Promise<number | null> {
    const { rows } = await this.pool.query<{ due: string | null }>(
      "SELECT MIN(due_ms) AS due FROM deliveries WHERE status = 'pending' AND lease_token IS NULL",
    );
    return rows[0]?.due == null ? null : Number(rows[0].due);
  }

  /** Marks nothing: a delivery waiting in a shared outbox is no instance's, and another may attempt it. */
  async interruptWaiting(): Promise<void> {}

  /** Evicts the oldest finished deliveries past `limit`; the maintenance job runs it. Returns how many. */
  async enforceLimits(db: Queryable = this.pool): Promise<number> {
    const { rowCount } = await db.query(
      `DELETE FROM deliveries WHERE finished_seq <= (
         SELECT finished_seq FROM deliveries WHERE finished_seq IS NOT NULL ORDER BY finished_seq DESC OFFSET $1 LIMIT 1)`,
      [this.options.limit],
    );
    return rowCount ?? 0;
  }

  /** Writes the outcomes queued by `complete` since the last turn, up to `OUTCOMES_PER_STATEMENT` per statement. */
  private async writeOutcomes(): Promise<void> {
    const outcomes = this.outcomes;
    this.outcomes = [];
    for (let from = 0; from < outcomes.length; from += OUTCOMES_PER_STATEMENT) {
      const part = outcomes.slice(from, from + OUTCOMES_PER_STATEMENT);
      try {
        const { rows } = await this.pool.query<{ id: string; token: string }>(
          `UPDATE deliveries d SET status = o.status, record = o.record, due_ms = o.due_ms,
             lease_owner = NULL, lease_token = NULL, lease_until_ms = NULL,
             finished_seq = CASE WHEN o.status = 'pending' THEN NULL ELSE nextval('deliveries_finished_seq') END
           FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) AS o(id, status, record, due_ms, token)
           WHERE d.id = o.id AND d.lease_token = o.token
           RETURNING d.id, o.token`,
          [
            part.map((o) => o.record.id),
            part.map((o) => o.record.status),
            part.map((o) => JSON.stringify(o.record)),
            part.map((o) => (o.record.status === 'pending' ? dueMs(o.record) : null)),
            part.map((o) => o.token),
          ],
        );
        const written = new Set(rows.map((row) => `${row.id}\n${row.token}`));
        for (const o of part) o.resolve(written.has(`${o.record.id}\n${o.token}`));
      } catch (error) {
        for (const o of part) o.reject(error);
      }
    }
  }

  /** Replaces the record where `condition` holds; the claim is released with it. */
  private async write(record: DeliveryRecord, condition: string, extra: unknown[]): Promise<boolean> {
    const pending = record.status === 'pending';
    const { rowCount } = await this.batch.commit((tx) =>
      tx.query(
        `UPDATE deliveries SET status = $2, record = $3, due_ms = $4, lease_owner = NULL, lease_token = NULL, lease_until_ms = NULL,
           finished_seq = ${FINISHED_SEQ}
         WHERE id = $1 AND ${condition}`,
        [record.id, record.status, JSON.stringify(record), pending ? dueMs(record) : null, ...extra],
      ),
    );
    return (rowCount ?? 0) > 0;
  }

  private openContent(row: ContentRow): DeliveryContent {
    const plain = { body: row.body, signAll: row.sign_all, ...(row.headers === null ? {} : { headers: JSON.parse(row.headers) as Record<string, string> }) };
    if (row.secret_sealed === null) return plain;
    const secret = openSealed(row.secret_sealed, this.options.secrets());
    return secret === undefined ? { ...plain, secretUnavailable: true } : { ...plain, secret };
  }
}
