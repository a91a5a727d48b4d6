import { pageBefore } from '../paging';
import type { Database, Statement } from 'better-sqlite3';
import { directWrites, type Writes } from '../storage/sqlite/group-commit';
import { openSealed, sealSecret } from '../storage/sqlite/seal';
import type { DeliveryContent, DeliveryPage, DeliveryQuery, DeliveryRecord, DeliveryStatus, DeliveryStore } from './delivery-store';

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

/**
 * The delivery outbox in SQLite: a record, its body and its schedule are committed before the first attempt,
 * and every attempt is committed as it ends, so pending deliveries resume after a restart. Same contract as
 * `MemoryDeliveryStore`.
 */
export class SqliteDeliveryStore implements DeliveryStore {
  private readonly statements: {
    insert: Statement;
    update: Statement;
    finishedCount: Statement;
    evictFinished: Statement;
    get: Statement;
    content: Statement;
    pageAll: Statement;
    pageStatus: Statement;
    pending: Statement;
    counts: Statement;
  };

  /**
   * @param writes the storage's group commit: the outbox writes with `now`, so a delivery is on disk before
   *   its first attempt even while a batch of received webhooks is open; each write in its own transaction by default.
   */
  constructor(
    db: Database,
    private readonly options: SqliteDeliveryOptions,
    private readonly writes: Writes = directWrites(db),
  ) {
    this.statements = {
      insert: db.prepare(
        'INSERT INTO deliveries (id, status, record, body, secret_sealed, sign_all) VALUES (@id, @status, @record, @body, @secretSealed, @signAll)',
      ),
      // A finished delivery takes the next finished_seq: re-finishing after a retry moves it to the back.
      update: db.prepare(
        `UPDATE deliveries SET status = @status, record = @record,
           finished_seq = CASE WHEN @status = 'pending' THEN NULL ELSE (SELECT COALESCE(MAX(finished_seq), 0) + 1 FROM deliveries) END
         WHERE id = @id`,
      ),
      finishedCount: db.prepare('SELECT COUNT(*) FROM deliveries WHERE finished_seq IS NOT NULL').pluck(),
      evictFinished: db.prepare(
        'DELETE FROM deliveries WHERE finished_seq IN (SELECT finished_seq FROM deliveries WHERE finished_seq IS NOT NULL ORDER BY finished_seq LIMIT ?)',
      ),
      get: db.prepare('SELECT seq, record FROM deliveries WHERE id = ?'),
      content: db.prepare('SELECT body, secret_sealed AS secretSealed, sign_all AS signAll FROM deliveries WHERE id = ?'),
      pageAll: db.prepare('SELECT seq, record FROM deliveries WHERE seq < @before ORDER BY seq DESC LIMIT @limit'),
      pageStatus: db.prepare('SELECT seq, record FROM deliveries WHERE status = @status AND seq < @before ORDER BY seq DESC LIMIT @limit'),
      pending: db.prepare("SELECT seq, record FROM deliveries WHERE status = 'pending' ORDER BY seq"),
      counts: db.prepare('SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status'),
    };
  }

  create(record: DeliveryRecord, content: DeliveryContent): void {
    this.writes.now(() => {
      this.statements.insert.run({
        id: record.id,
        status: record.status,
        record: JSON.stringify(record),
        body: content.body,
        secretSealed: content.secret === undefined ? null : sealSecret(content.secret, this.options.secrets()),
        signAll: content.signAll ? 1 : 0,
      });
      if (record.status !== 'pending') this.save(record);
    });
  }

  content(id: string): DeliveryContent | undefined {
    const row = this.statements.content.get(id) as { body: Buffer; secretSealed: Buffer | null; signAll: number } | undefined;
    if (!row) return undefined;
    const signAll = row.signAll === 1;
    if (row.secretSealed === null) return { body: row.body, signAll };
    const secret = openSealed(row.secretSealed, this.options.secrets());
    return secret === undefined ? { body: row.body, signAll, secretUnavailable: true } : { body: row.body, secret, signAll };
  }

  save(record: DeliveryRecord): void {
    this.writes.now(() => {
      this.statements.update.run({ id: record.id, status: record.status, record: JSON.stringify(record) });
      if (record.status === 'pending') return;
      const excess = (this.statements.finishedCount.get() as number) - this.options.limit;
      if (excess > 0) this.statements.evictFinished.run(excess);
    });
  }

  get(id: string): DeliveryRecord | undefined {
    const row = this.statements.get.get(id) as Row | undefined;
    return row && (JSON.parse(row.record) as DeliveryRecord);
  }

  list(query: DeliveryQuery): DeliveryPage {
    const before = pageBefore(query.cursor);
    const params = { before, limit: query.limit + 1, status: query.status };
    const rows = (query.status === undefined ? this.statements.pageAll.all(params) : this.statements.pageStatus.all(params)) as Row[];
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    return { items: page.map((row) => JSON.parse(row.record) as DeliveryRecord), nextCursor: more ? String(page[page.length - 1]!.seq) : null };
  }

  pending(): DeliveryRecord[] {
    return (this.statements.pending.all() as Row[]).map((row) => JSON.parse(row.record) as DeliveryRecord);
  }

  counts(): Record<DeliveryStatus, number> {
    const counts: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };
    for (const { status, n } of this.statements.counts.all() as { status: DeliveryStatus; n: number }[]) counts[status] = n;
    return counts;
  }
}
