import type { Database, Statement } from 'better-sqlite3';
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
import { directWrites, type Writes } from './group-commit';
import { openSealed, sealSecret } from '../seal';

export interface SqliteDeliveryOptions {
  /** Finished deliveries kept; the oldest finished are evicted first. Pending ones are never evicted. */
  readonly limit: number;
  /** The configured secrets, read at each call: they seal and open per-request secrets (see `seal.ts`). */
  readonly secrets: () => readonly string[];
}

interface Row {
  seq: number;
  record: string;
}

interface ContentRow {
  body: Buffer;
  secretSealed: Buffer | null;
  signAll: number;
  headers: string | null;
}

/**
 * The delivery outbox in SQLite: a record, its body and its due time are committed before the first attempt,
 * every attempt's outcome is committed as it ends, and the scheduler takes what is due with an indexed read
 * (`due_ms`), so pending deliveries resume after a restart and none waits in a timer. Same contract as
 * `MemoryDeliveryStore`.
 *
 * One server uses a SQLite file at a time, so claims left in it by a previous process (killed mid-attempt) are
 * void: they are released when the store opens, and those deliveries are due again at once (at least once,
 * same event id).
 */
export class SqliteDeliveryStore implements DeliveryStore {
  private readonly statements: Record<
    | 'insert'
    | 'save'
    | 'complete'
    | 'finishedCount'
    | 'evictFinished'
    | 'get'
    | 'content'
    | 'pageAll'
    | 'pageStatus'
    | 'counts'
    | 'due'
    | 'claim'
    | 'nextDue'
    | 'interrupt',
    Statement
  >;

  /**
   * @param writes the storage's group commit: every outbox write is a unit of the turn's batch and resolves
   *   once that batch's COMMIT is done, so a delivery is on disk before its first attempt and the deliveries of
   *   one turn share one fsync; each write in its own transaction by default.
   */
  constructor(
    db: Database,
    private readonly options: SqliteDeliveryOptions,
    private readonly writes: Writes = directWrites(db),
  ) {
    // A finished delivery takes the next finished_seq: re-finishing after a retry moves it to the back.
    const finishedSeq = `CASE WHEN @status = 'pending' THEN NULL ELSE (SELECT COALESCE(MAX(finished_seq), 0) + 1 FROM deliveries) END`;
    this.statements = {
      insert: db.prepare(
        `INSERT INTO deliveries (id, status, record, body, secret_sealed, sign_all, headers, due_ms, claim_token, lease_until_ms, finished_seq)
         VALUES (@id, @status, @record, @body, @secretSealed, @signAll, @headers, @dueMs, @token, @leaseUntilMs, ${finishedSeq})`,
      ),
      save: db.prepare(
        `UPDATE deliveries SET status = @status, record = @record, due_ms = @dueMs, finished_seq = ${finishedSeq}
         WHERE id = @id AND claim_token IS NULL`,
      ),
      complete: db.prepare(
        `UPDATE deliveries SET status = @status, record = @record, due_ms = @dueMs, claim_token = NULL, lease_until_ms = NULL,
           finished_seq = ${finishedSeq}
         WHERE id = @id AND claim_token = @token`,
      ),
      finishedCount: db.prepare('SELECT COUNT(*) FROM deliveries WHERE finished_seq IS NOT NULL').pluck(),
      evictFinished: db.prepare(
        'DELETE FROM deliveries WHERE finished_seq IN (SELECT finished_seq FROM deliveries WHERE finished_seq IS NOT NULL ORDER BY finished_seq LIMIT ?)',
      ),
      get: db.prepare('SELECT seq, record FROM deliveries WHERE id = ?'),
      content: db.prepare('SELECT body, secret_sealed AS secretSealed, sign_all AS signAll, headers FROM deliveries WHERE id = ?'),
      pageAll: db.prepare('SELECT seq, record FROM deliveries WHERE seq < @before ORDER BY seq DESC LIMIT @limit'),
      pageStatus: db.prepare('SELECT seq, record FROM deliveries WHERE status = @status AND seq < @before ORDER BY seq DESC LIMIT @limit'),
      counts: db.prepare('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status'),
      due: db.prepare(
        `SELECT id, record, body, secret_sealed AS secretSealed, sign_all AS signAll, headers FROM deliveries
         WHERE status = 'pending' AND due_ms <= @nowMs AND (claim_token IS NULL OR lease_until_ms <= @nowMs)
         ORDER BY due_ms, seq LIMIT @limit`,
      ),
      claim: db.prepare('UPDATE deliveries SET claim_token = @token, lease_until_ms = @leaseUntilMs WHERE id = @id'),
      nextDue: db.prepare("SELECT MIN(due_ms) FROM deliveries WHERE status = 'pending' AND claim_token IS NULL").pluck(),
      interrupt: db.prepare(
        `UPDATE deliveries SET record = json_set(record, '$.interruptedAt', @at, '$.updatedAt', @at,
           '$.error', 'server stopped before attempt ' || (json_array_length(record, '$.attempts') + 1))
         WHERE status = 'pending' AND claim_token IS NULL`,
      ),
    };
    this.writes.now(() => db.prepare('UPDATE deliveries SET claim_token = NULL, lease_until_ms = NULL WHERE claim_token IS NOT NULL').run());
  }

  async create(record: DeliveryRecord, content: DeliveryContent, lease?: Lease): Promise<void> {
    await this.writes.commit(() => this.insert(record, content, lease));
  }

  /**
   * Stores a new delivery inside the caller's unit of the group commit (an endpoint store's `recordEvent`
   * writes an event's deliveries in its own transaction); throws on an id that exists.
   */
  insert(record: DeliveryRecord, content: DeliveryContent, lease?: Lease): void {
    this.statements.insert.run({
      id: record.id,
      status: record.status,
      record: JSON.stringify(record),
      body: content.body,
      secretSealed: content.secret === undefined ? null : sealSecret(content.secret, this.options.secrets()),
      signAll: content.signAll ? 1 : 0,
      headers: content.headers === undefined ? null : JSON.stringify(content.headers),
      dueMs: record.status === 'pending' ? dueMs(record) : null,
      token: lease?.token ?? null,
      leaseUntilMs: lease?.leaseUntilMs ?? null,
    });
    if (record.status !== 'pending') this.evict();
  }

  async content(id: string): Promise<DeliveryContent | undefined> {
    const row = this.statements.content.get(id) as ContentRow | undefined;
    return row && this.openContent(row);
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const row = this.statements.get.get(id) as Row | undefined;
    return row && (JSON.parse(row.record) as DeliveryRecord);
  }

  async list(query: DeliveryQuery): Promise<DeliveryPage> {
    const before = pageBefore(query.cursor);
    const params = { before, limit: query.limit + 1, status: query.status };
    const rows = (query.status === undefined ? this.statements.pageAll.all(params) : this.statements.pageStatus.all(params)) as Row[];
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    return { items: page.map((row) => JSON.parse(row.record) as DeliveryRecord), nextCursor: more ? String(page[page.length - 1]!.seq) : null };
  }

  async counts(): Promise<Record<DeliveryStatus, number>> {
    const counts: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };
    for (const { status, n } of this.statements.counts.all() as { status: DeliveryStatus; n: number }[]) counts[status] = n;
    return counts;
  }

  async save(record: DeliveryRecord): Promise<boolean> {
    return this.write(this.statements.save, record, {});
  }

  async claimDue({ nowMs, limit, token, leaseMarginMs }: ClaimOptions): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    // One short unit: read what is due, stamp each with the token. No transaction stays open across an attempt.
    return this.writes.commit(() => {
      const rows = this.statements.due.all({ nowMs, limit }) as (ContentRow & { id: string; record: string })[];
      return rows.map((row) => {
        const record = JSON.parse(row.record) as DeliveryRecord;
        this.statements.claim.run({ id: row.id, token, leaseUntilMs: nowMs + record.timeoutMs + leaseMarginMs });
        return { record, content: this.openContent(row) };
      });
    });
  }

  async complete(record: DeliveryRecord, token: string): Promise<boolean> {
    return this.write(this.statements.complete, record, { token });
  }

  async nextDueMs(): Promise<number | null> {
    return (this.statements.nextDue.get() as number | null) ?? null;
  }

  async interruptWaiting(atIso: string): Promise<void> {
    await this.writes.commit(() => this.statements.interrupt.run({ at: atIso }));
  }

  private write(statement: Statement, record: DeliveryRecord, extra: { token?: string }): Promise<boolean> {
    return this.writes.commit(() => {
      const pending = record.status === 'pending';
      const { changes } = statement.run({ id: record.id, status: record.status, record: JSON.stringify(record), dueMs: pending ? dueMs(record) : null, ...extra });
      if (changes === 0) return false;
      if (!pending) this.evict();
      return true;
    });
  }

  private evict(): void {
    const excess = (this.statements.finishedCount.get() as number) - this.options.limit;
    if (excess > 0) this.statements.evictFinished.run(excess);
  }

  private openContent(row: ContentRow): DeliveryContent {
    const signAll = row.signAll === 1;
    const plain = { body: row.body, signAll, ...(row.headers === null ? {} : { headers: JSON.parse(row.headers) as Record<string, string> }) };
    if (row.secretSealed === null) return plain;
    const secret = openSealed(row.secretSealed, this.options.secrets());
    return secret === undefined ? { ...plain, secretUnavailable: true } : { ...plain, secret };
  }
}
