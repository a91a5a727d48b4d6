import type { Database } from 'better-sqlite3';
import type { Config } from '../../config';
import { SqliteDeliveryStore } from '../../sender/sqlite-delivery-store';
import { BaseStorage } from '../storage';
import { SqliteDedupeStore } from './dedupe-store';
import { GroupCommit } from './group-commit';
import { SqliteHistoryStore } from './history-store';

/** One SQLite file, written through one group commit (see group-commit.ts). */
export class SqliteStorage extends BaseStorage {
  readonly kind = 'sqlite' as const;
  readonly history: SqliteHistoryStore;
  readonly dedupe: SqliteDedupeStore;
  readonly deliveries: SqliteDeliveryStore;
  private readonly writes: GroupCommit;

  constructor(
    readonly db: Database,
    config: Config,
  ) {
    super();
    // The history's cached counts may include rows a rollback took back: read again after any rollback.
    this.writes = new GroupCommit(db, { onRollback: () => this.history.recount() });
    this.history = new SqliteHistoryStore(
      db,
      { limit: config.historyLimit, rejectedLimit: config.rejectedHistoryLimit, retentionDays: config.historyRetentionDays },
      this.writes,
    );
    this.dedupe = new SqliteDedupeStore(db, { ttlSeconds: config.dedupeTtlSeconds, maxEntries: config.dedupeMaxEntries }, this.writes);
    this.deliveries = new SqliteDeliveryStore(db, { limit: config.deliveryLimit, secrets: () => config.secrets }, this.writes);
  }

  get commits(): number {
    return this.writes.commits;
  }

  commit<T>(fn: () => T): Promise<T> {
    return this.writes.commit(fn);
  }

  transaction<T>(fn: () => T): T {
    return this.writes.now(fn);
  }

  afterCommit(callback: () => void): void {
    this.writes.afterCommit(callback);
  }

  close(): void {
    if (!this.db.open) return;
    this.writes.flush(); // what was acknowledged as joined (processing outcomes) is kept
    this.db.close();
  }
}

