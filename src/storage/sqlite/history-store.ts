import { pageBefore } from '../../paging';
import type { Database, Statement } from 'better-sqlite3';
import type { WebhookEvent } from '../../processing/registry';
import { directWrites, type Writes } from './group-commit';
import { DAY_MS, toWebhookEvent, type HistoryEntry, type HistoryPage, type HistoryQuery, type HistoryStatus, type HistoryStore, type ProcessingState } from '../../history/store';

export interface SqliteHistoryOptions {
  /** Accepted entries kept; the oldest are evicted first. */
  readonly limit: number;
  /** Rejected entries kept, in their own list. */
  readonly rejectedLimit: number;
  /** Entries older than this many days are removed by `sweep`; 0 (the default) keeps them. */
  readonly retentionDays?: number;
}

interface Row {
  seq: number;
  entry: string;
  duplicates: number;
  processing: string | null;
}

const STATUSES: readonly HistoryStatus[] = ['accepted', 'rejected'];

function toEntry(row: Row): HistoryEntry {
  const entry = JSON.parse(row.entry) as HistoryEntry;
  entry.duplicates = row.duplicates;
  entry.processing = row.processing === null ? null : (JSON.parse(row.processing) as ProcessingState);
  return entry;
}

/**
 * The history in SQLite: same contract as `MemoryHistoryStore`, kept across restarts. The cursor is the row's
 * `seq` (insertion order), as in memory. Counts are kept in memory (this process is the only writer), so an
 * insert evicts with one indexed delete instead of counting the table.
 */
export class SqliteHistoryStore implements HistoryStore {
  private readonly limits: Record<HistoryStatus, number>;
  private readonly retentionMs: number;
  private readonly sizes: Record<HistoryStatus, number> = { accepted: 0, rejected: 0 };
  private readonly statements: {
    insert: Statement;
    insertPending: Statement;
    statusOf: Statement;
    remove: Statement;
    evictOldest: Statement;
    trimTo: Statement;
    get: Statement;
    pages: Record<'all' | 'status' | 'type' | 'statusType', Statement>;
    duplicate: Statement;
    seqOf: Statement;
    outcome: Statement;
    done: Statement;
    pending: Statement;
    expire: Statement;
    count: Statement;
    clear: Statement;
  };

  /**
   * @param writes how writes reach the database: the storage's group commit, so that a write made while a
   *   batch is open joins it or commits it first; each in its own transaction by default.
   */
  constructor(
    db: Database,
    options: SqliteHistoryOptions,
    private readonly writes: Writes = directWrites(db),
  ) {
    this.limits = { accepted: options.limit, rejected: options.rejectedLimit };
    this.retentionMs = (options.retentionDays ?? 0) * DAY_MS;
    // The processing outcome, once there is one, is a row of history_outcome; until then the state at insert.
    const columns = 'h.seq AS seq, h.entry AS entry, h.duplicates AS duplicates, COALESCE(o.processing, h.processing) AS processing';
    const from = 'history h LEFT JOIN history_outcome o ON o.seq = h.seq';
    const page = (where: string): string => `SELECT ${columns} FROM ${from} WHERE ${where} AND h.seq < @before ORDER BY h.seq DESC LIMIT @limit`;
    this.statements = {
      insert: db.prepare(
        `INSERT INTO history (id, status, event_type, received_at_ms, entry, duplicates, processing)
         VALUES (@id, @status, @eventType, @receivedAtMs, @entry, @duplicates, @processing)`,
      ),
      insertPending: db.prepare('INSERT INTO history_pending (seq, raw_body) VALUES (?, ?)'),
      statusOf: db.prepare('SELECT status FROM history WHERE id = ?').pluck(),
      remove: db.prepare('DELETE FROM history WHERE id = ?'),
      evictOldest: db.prepare('DELETE FROM history WHERE seq = (SELECT seq FROM history WHERE status = ? ORDER BY seq LIMIT 1)'),
      trimTo: db.prepare('DELETE FROM history WHERE status = ? AND seq <= (SELECT seq FROM history WHERE status = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)'),
      get: db.prepare(`SELECT ${columns} FROM ${from} WHERE h.id = ?`),
      pages: {
        all: db.prepare(page('1')),
        status: db.prepare(page('h.status = @status')),
        // No (event_type, seq) index: the newest of each status from (status, event_type, seq), merged.
        type: db.prepare(
          `SELECT * FROM (${page("h.status = 'accepted' AND h.event_type = @eventType")})
           UNION ALL SELECT * FROM (${page("h.status = 'rejected' AND h.event_type = @eventType")})
           ORDER BY seq DESC LIMIT @limit`,
        ),
        statusType: db.prepare(page('h.status = @status AND h.event_type = @eventType')),
      },
      duplicate: db.prepare("UPDATE history SET duplicates = duplicates + 1 WHERE id = ? AND status = 'accepted'"),
      seqOf: db.prepare('SELECT seq FROM history WHERE id = ?').pluck(),
      outcome: db.prepare('INSERT OR REPLACE INTO history_outcome (seq, processing) VALUES (?, ?)'),
      // The raw body is only needed while processing is pending: dropped as soon as it ends.
      done: db.prepare('DELETE FROM history_pending WHERE seq = ?'),
      pending: db.prepare(`SELECT ${columns}, p.raw_body AS rawBody FROM history_pending p JOIN history h ON h.seq = p.seq LEFT JOIN history_outcome o ON o.seq = h.seq ORDER BY p.seq`),
      expire: db.prepare('DELETE FROM history WHERE received_at_ms < ?'),
      count: db.prepare('SELECT COUNT(*) FROM history WHERE status = ?').pluck(),
      clear: db.prepare('DELETE FROM history'),
    };
    // The limits may have been lowered since the last run.
    for (const status of STATUSES) this.statements.trimTo.run(status, status, this.limits[status]);
    this.recount();
  }

  add(entry: HistoryEntry, rawBody?: Buffer): void {
    const { duplicates, processing, ...rest } = entry;
    const pending = entry.status === 'accepted' && processing?.state === 'pending';
    // join: inside the receive route's unit it is part of that unit; a rejected request's record (outside
    // any unit) rides on the next batch, as nobody waits for it.
    this.writes.join(() => {
      const replaced = this.statements.statusOf.get(entry.id) as HistoryStatus | undefined;
      // A plain DELETE rather than INSERT OR REPLACE, so that the trigger removes the old row's side rows.
      if (replaced !== undefined) this.statements.remove.run(entry.id);
      const { lastInsertRowid } = this.statements.insert.run({
        id: entry.id,
        status: entry.status,
        eventType: entry.eventType,
        receivedAtMs: Date.parse(entry.receivedAt),
        entry: JSON.stringify(rest),
        duplicates,
        processing: processing === null ? null : JSON.stringify(processing),
      });
      if (pending) this.statements.insertPending.run(lastInsertRowid, rawBody ?? Buffer.alloc(0));
      const sizes = { ...this.sizes };
      if (replaced !== undefined) sizes[replaced] -= 1;
      sizes[entry.status] += 1;
      while (sizes[entry.status] > this.limits[entry.status]) {
        this.statements.evictOldest.run(entry.status);
        sizes[entry.status] -= 1;
      }
      // Only once every statement has succeeded: a failed insert leaves the counts as they were.
      Object.assign(this.sizes, sizes);
    });
  }

  get(id: string): HistoryEntry | undefined {
    const row = this.statements.get.get(id) as Row | undefined;
    return row && toEntry(row);
  }

  list(query: HistoryQuery): HistoryPage {
    const before = pageBefore(query.cursor);
    const kind = query.status !== undefined ? (query.eventType !== undefined ? 'statusType' : 'status') : query.eventType !== undefined ? 'type' : 'all';
    // One row more than asked tells whether there is a next page.
    const rows = this.statements.pages[kind].all({ before, limit: query.limit + 1, status: query.status, eventType: query.eventType }) as Row[];
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    return { items: page.map(toEntry), nextCursor: more ? String(page[page.length - 1]!.seq) : null };
  }

  // Counts and processing outcomes ride on the open batch: an outcome lost with a failed batch leaves the
  // event pending, and it is processed again after a restart (at-least-once, as after a crash).
  recordDuplicate(id: string): void {
    this.writes.join(() => this.statements.duplicate.run(id));
  }

  setProcessing(id: string, processing: ProcessingState): void {
    this.writes.join(() => {
      const seq = this.statements.seqOf.get(id) as number | undefined;
      if (seq === undefined) return;
      // A small row appended rather than the entry rewritten; the entry's raw body goes with its pending row.
      this.statements.outcome.run(seq, JSON.stringify(processing));
      if (processing.state !== 'pending') this.statements.done.run(seq);
    });
  }

  pendingProcessing(): WebhookEvent[] {
    return (this.statements.pending.all() as (Row & { rawBody: Buffer | null })[]).map((row) => toWebhookEvent(toEntry(row), row.rawBody ?? undefined));
  }

  /** Removes entries received more than the retention before `nowMs`; returns how many. */
  sweep(nowMs: number): number {
    if (this.retentionMs === 0) return 0;
    return this.writes.now(() => {
      const { changes } = this.statements.expire.run(nowMs - this.retentionMs);
      if (changes > 0) this.recount();
      return changes;
    });
  }

  clear(): void {
    this.writes.now(() => this.statements.clear.run());
    this.sizes.accepted = 0;
    this.sizes.rejected = 0;
  }

  counts(): { accepted: number; rejected: number } {
    return { ...this.sizes };
  }

  /** Reads the counts from the table again: after a unit or a batch rolled back. */
  recount(): void {
    for (const status of STATUSES) this.sizes[status] = this.statements.count.get(status) as number;
  }
}
