import type { Database, Statement } from 'better-sqlite3';
import { entryWeight, eventTypeFilter } from '../../history/query';
import { DAY_MS, idHolderVerdict, pageLength, toWebhookEvent, type AcceptOutcome, type EntryUpdate, type HistoryEntry, type HistoryPage, type HistoryQuery, type HistoryStatus, type HistoryStore, type ProcessingState } from '../../history/store';
import { pageBefore } from '../../paging';
import type { WebhookEvent } from '../../processing/registry';
import type { SchemeName } from '../../signature/types';
import { SqliteDedupeStore } from './dedupe-store';
import { directWrites, type Writes } from './group-commit';

export interface SqliteHistoryOptions {
  /** Accepted entries kept; the oldest are evicted first. */
  readonly limit: number;
  /** Rejected entries kept, in their own list. */
  readonly rejectedLimit: number;
  /** Entries older than this many days are removed by `sweep`; 0 (the default) keeps them. */
  readonly retentionDays?: number;
  /** Total weight (`entryWeight`) of the accepted entries kept; the oldest are evicted first. Unbounded by default. */
  readonly maxBytes?: number;
}

interface Row {
  seq: number;
  entry: string;
  duplicates: number;
  processing: string | null;
  weight: number;
}

const STATUSES: readonly HistoryStatus[] = ['accepted', 'rejected'];

/** Keys of a store built without its storage's dedupe store (contract tests): the configuration's defaults. */
const STANDALONE_DEDUPE = { ttlSeconds: 86_400, maxEntries: 100_000 };

function toEntry(row: Row): HistoryEntry {
  const entry = JSON.parse(row.entry) as HistoryEntry;
  entry.duplicates = row.duplicates;
  entry.processing = row.processing === null ? null : (JSON.parse(row.processing) as ProcessingState);
  return entry;
}

type PageKind = 'all' | 'status' | 'type' | 'statusType' | 'prefix' | 'statusPrefix';

/**
 * The history in SQLite: same contract as `MemoryHistoryStore`, kept across restarts. The cursor is the row's
 * `seq` (insertion order), as in memory. Counts and weights are kept in memory (this process is the only
 * writer), so an insert evicts with one indexed delete instead of counting the table. Every write goes
 * through `writes.commit`: it joins the open group-commit batch and resolves once that batch is committed.
 */
export class SqliteHistoryStore implements HistoryStore {
  private readonly limits: Record<HistoryStatus, number>;
  private readonly maxBytes: number;
  private readonly retentionMs: number;
  private readonly sizes: Record<HistoryStatus, number> = { accepted: 0, rejected: 0 };
  /** Total weight of the accepted entries. */
  private bytes = 0;
  private readonly keys: SqliteDedupeStore;
  private readonly statements: {
    insert: Statement;
    insertPending: Statement;
    holderOf: Statement;
    remove: Statement;
    evictOldest: Statement;
    trimTo: Statement;
    get: Statement;
    pages: Record<PageKind, Statement>;
    duplicate: Statement;
    outcomeOf: Statement;
    rowOf: Statement;
    outcome: Statement;
    done: Statement;
    pending: Statement;
    expire: Statement;
    count: Statement;
    weight: Statement;
    clear: Statement;
  };

  /**
   * @param writes how writes reach the database: the storage's group commit, so that a write made while a
   *   batch is open joins it or commits it first; each in its own transaction by default.
   * @param keys the storage's dedupe keys, which `accept` checks and writes in the same unit as the entry.
   */
  constructor(
    db: Database,
    options: SqliteHistoryOptions,
    private readonly writes: Writes = directWrites(db),
    keys?: SqliteDedupeStore,
  ) {
    this.keys = keys ?? new SqliteDedupeStore(db, STANDALONE_DEDUPE, writes);
    this.limits = { accepted: options.limit, rejected: options.rejectedLimit };
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.retentionMs = (options.retentionDays ?? 0) * DAY_MS;
    // The processing outcome, once there is one, is a row of history_outcome; until then the state at insert.
    const columns = 'h.seq AS seq, h.entry AS entry, h.duplicates AS duplicates, COALESCE(o.processing, h.processing) AS processing, h.weight AS weight';
    const from = 'history h LEFT JOIN history_outcome o ON o.seq = h.seq';
    const page = (where: string): string => `SELECT ${columns} FROM ${from} WHERE ${where} AND h.seq < @before ORDER BY h.seq DESC LIMIT @limit`;
    // No (event_type, seq) index: the newest of each status from (status, event_type, seq), merged.
    const eachStatus = (typeCondition: string): string =>
      `SELECT * FROM (${page(`h.status = 'accepted' AND ${typeCondition}`)})
       UNION ALL SELECT * FROM (${page(`h.status = 'rejected' AND ${typeCondition}`)})
       ORDER BY seq DESC LIMIT @limit`;
    // A prefix always ends with "." (from "prefix.*"), so the types that start with it are those from it up to
    // the same string ending in "/", the next character: a range on the index, in UTF-8 as in UTF-16 order.
    const prefixRange = 'h.event_type >= @prefix AND h.event_type < @prefixEnd';
    this.statements = {
      insert: db.prepare(
        `INSERT INTO history (id, status, event_type, received_at_ms, entry, duplicates, processing, weight)
         VALUES (@id, @status, @eventType, @receivedAtMs, @entry, @duplicates, @processing, @weight)`,
      ),
      insertPending: db.prepare('INSERT INTO history_pending (seq, raw_body) VALUES (?, ?)'),
      holderOf: db.prepare("SELECT status, json_extract(entry, '$.scheme') AS scheme FROM history WHERE id = ?"),
      remove: db.prepare('DELETE FROM history WHERE id = ? RETURNING status, weight'),
      evictOldest: db.prepare('DELETE FROM history WHERE seq = (SELECT seq FROM history WHERE status = ? ORDER BY seq LIMIT 1) RETURNING weight').pluck(),
      trimTo: db.prepare('DELETE FROM history WHERE status = ? AND seq <= (SELECT seq FROM history WHERE status = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)'),
      get: db.prepare(`SELECT ${columns} FROM ${from} WHERE h.id = ?`),
      pages: {
        all: db.prepare(page('1')),
        status: db.prepare(page('h.status = @status')),
        type: db.prepare(eachStatus('h.event_type = @eventType')),
        statusType: db.prepare(page('h.status = @status AND h.event_type = @eventType')),
        prefix: db.prepare(eachStatus(prefixRange)),
        statusPrefix: db.prepare(page(`h.status = @status AND ${prefixRange}`)),
      },
      duplicate: db.prepare("UPDATE history SET duplicates = duplicates + 1 WHERE id = ? AND status = 'accepted' RETURNING seq, duplicates, processing"),
      outcomeOf: db.prepare('SELECT processing FROM history_outcome WHERE seq = ?').pluck(),
      rowOf: db.prepare('SELECT seq, duplicates FROM history WHERE id = ?'),
      outcome: db.prepare('INSERT OR REPLACE INTO history_outcome (seq, processing) VALUES (?, ?)'),
      // The raw body is only needed while processing is pending: dropped as soon as it ends.
      done: db.prepare('DELETE FROM history_pending WHERE seq = ?'),
      pending: db.prepare(`SELECT ${columns}, p.raw_body AS rawBody FROM history_pending p JOIN history h ON h.seq = p.seq LEFT JOIN history_outcome o ON o.seq = h.seq ORDER BY p.seq`),
      expire: db.prepare('DELETE FROM history WHERE received_at_ms < ?'),
      count: db.prepare('SELECT COUNT(*) FROM history WHERE status = ?').pluck(),
      weight: db.prepare("SELECT COALESCE(SUM(weight), 0) FROM history WHERE status = 'accepted'").pluck(),
      clear: db.prepare('DELETE FROM history'),
    };
    // The limits may have been lowered since the last run.
    for (const status of STATUSES) this.statements.trimTo.run(status, status, this.limits[status]);
    this.recount();
    if (this.bytes > this.maxBytes) this.writes.now(() => this.evict('accepted', { ...this.sizes, bytes: this.bytes }));
  }

  accept(entry: HistoryEntry, rawBody: Buffer, keys: readonly string[], nowMs: number, freshId: () => string): Promise<AcceptOutcome> {
    // One unit of the group commit: the checks read the open batch's rows too, so a duplicate of an event
    // written in this turn is found (and its answer waits for that same COMMIT), and so is an id another
    // scheme's event took in this turn.
    return this.writes.commit((): AcceptOutcome => {
      const seen = this.keys.find(keys, nowMs);
      if (seen !== undefined) return { stored: false, duplicateOf: seen, update: this.countDuplicate(seen) };
      const verdict = idHolderVerdict(this.statements.holderOf.get(entry.id) as { status: HistoryStatus; scheme: SchemeName | null } | undefined, entry.scheme);
      if (verdict === 'duplicate') return { stored: false, duplicateOf: entry.id, update: this.countDuplicate(entry.id) };
      const stored = verdict === 'free' ? entry : { ...entry, id: freshId() };
      this.insert(stored, rawBody);
      this.keys.keep(keys, stored.id, nowMs);
      return { stored: true, id: stored.id };
    });
  }

  add(entry: HistoryEntry, rawBody?: Buffer): Promise<void> {
    return this.writes.commit(() => this.insert(entry, rawBody));
  }

  /** Inserts an entry in the transaction (unit) already open, evicting what its limits require. */
  insert(entry: HistoryEntry, rawBody?: Buffer): void {
    const { duplicates, processing, ...rest } = entry;
    const pending = entry.status === 'accepted' && processing?.state === 'pending';
    const weight = entryWeight(entry);
    const sizes = { ...this.sizes, bytes: this.bytes };
    // A plain DELETE rather than INSERT OR REPLACE, so that the trigger removes the old row's side rows.
    const replaced = this.statements.remove.get(entry.id) as { status: HistoryStatus; weight: number } | undefined;
    if (replaced !== undefined) {
      sizes[replaced.status] -= 1;
      if (replaced.status === 'accepted') sizes.bytes -= replaced.weight;
    }
    const { lastInsertRowid } = this.statements.insert.run({
      id: entry.id,
      status: entry.status,
      eventType: entry.eventType,
      receivedAtMs: Date.parse(entry.receivedAt),
      entry: JSON.stringify(rest),
      duplicates,
      processing: processing === null ? null : JSON.stringify(processing),
      weight,
    });
    if (pending) this.statements.insertPending.run(lastInsertRowid, rawBody ?? Buffer.alloc(0));
    sizes[entry.status] += 1;
    if (entry.status === 'accepted') sizes.bytes += weight;
    this.evict(entry.status, sizes);
  }

  /** Evicts the oldest of `status` while over its limits (never the last one), then keeps the new counts. */
  private evict(status: HistoryStatus, sizes: Record<HistoryStatus | 'bytes', number>): void {
    const overWeight = (): boolean => status === 'accepted' && sizes.bytes > this.maxBytes;
    while (sizes[status] > this.limits[status] || (overWeight() && sizes[status] > 1)) {
      const weight = this.statements.evictOldest.get(status) as number;
      sizes[status] -= 1;
      if (status === 'accepted') sizes.bytes -= weight;
    }
    // Only once every statement has succeeded: a failed insert leaves the counts as they were.
    this.sizes.accepted = sizes.accepted;
    this.sizes.rejected = sizes.rejected;
    this.bytes = sizes.bytes;
  }

  get(id: string): Promise<HistoryEntry | undefined> {
    try {
      const row = this.statements.get.get(id) as Row | undefined;
      return Promise.resolve(row && toEntry(row));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async list(query: HistoryQuery): Promise<HistoryPage> {
    const before = pageBefore(query.cursor);
    const filter = eventTypeFilter(query.eventType);
    const byStatus = query.status !== undefined;
    const kind: PageKind = filter === undefined ? (byStatus ? 'status' : 'all') : 'exact' in filter ? (byStatus ? 'statusType' : 'type') : byStatus ? 'statusPrefix' : 'prefix';
    const prefix = filter !== undefined && 'prefix' in filter ? filter.prefix : undefined;
    // One row more than asked tells whether there is a next page.
    const rows = this.statements.pages[kind].all({
      before,
      limit: query.limit + 1,
      status: query.status,
      eventType: query.eventType,
      prefix,
      prefixEnd: prefix === undefined ? undefined : `${prefix.slice(0, -1)}/`,
    }) as Row[];
    const count = pageLength(rows, query.limit, query.maxBytes);
    const page = rows.slice(0, count);
    return { items: page.map(toEntry), nextCursor: count < rows.length ? String(page[page.length - 1]!.seq) : null };
  }

  // Counts and processing outcomes join the open batch as units of their own: an outcome lost with a failed
  // batch leaves the event pending, and it is processed again after a restart (at-least-once, as after a crash).
  recordDuplicate(id: string): Promise<EntryUpdate | undefined> {
    return this.writes.commit(() => this.countDuplicate(id));
  }

  private countDuplicate(id: string): EntryUpdate | undefined {
    const row = this.statements.duplicate.get(id) as { seq: number; duplicates: number; processing: string | null } | undefined;
    if (row === undefined) return undefined;
    const processing = (this.statements.outcomeOf.get(row.seq) as string | undefined) ?? row.processing;
    return { id, duplicates: row.duplicates, processing: processing === null ? null : (JSON.parse(processing) as ProcessingState) };
  }

  setProcessing(id: string, processing: ProcessingState): Promise<EntryUpdate | undefined> {
    return this.writes.commit(() => {
      const row = this.statements.rowOf.get(id) as { seq: number; duplicates: number } | undefined;
      if (row === undefined) return undefined;
      // A small row appended rather than the entry rewritten; the entry's raw body goes with its pending row.
      this.statements.outcome.run(row.seq, JSON.stringify(processing));
      if (processing.state !== 'pending') this.statements.done.run(row.seq);
      return { id, duplicates: row.duplicates, processing };
    });
  }

  async pendingProcessing(): Promise<WebhookEvent[]> {
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

  async clear(): Promise<void> {
    this.writes.now(() => this.statements.clear.run());
    this.sizes.accepted = 0;
    this.sizes.rejected = 0;
    this.bytes = 0;
  }

  async counts(): Promise<{ accepted: number; rejected: number }> {
    return { ...this.sizes };
  }

  /** Reads the counts from the table again: after a unit or a batch rolled back. */
  recount(): void {
    for (const status of STATUSES) this.sizes[status] = this.statements.count.get(status) as number;
    this.bytes = this.statements.weight.get() as number;
  }
}
