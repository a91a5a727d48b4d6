import type { Database, Statement } from 'better-sqlite3';
import type { Config } from '../../config';
import { SqliteDeliveryStore } from './delivery-store';
import { SqliteEndpointStore } from './endpoint-store';
import { SqliteRecoveryStore } from './recovery-store';
import { BaseStorage, type StorageHealth } from '../storage';
import { SqliteDedupeStore } from './dedupe-store';
import { GroupCommit } from './group-commit';
import { SqliteHistoryStore } from './history-store';

/** What `/healthz` says about a failed write: SQLite's code and message (no event data, no path). */
function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return `the database cannot be written: ${typeof code === 'string' ? `${code}: ` : ''}${message}`;
}

/** One SQLite file, written through one group commit (see group-commit.ts). */
export class SqliteStorage extends BaseStorage {
  readonly kind = 'sqlite' as const;
  readonly history: SqliteHistoryStore;
  readonly dedupe: SqliteDedupeStore;
  readonly deliveries: SqliteDeliveryStore;
  readonly endpoints: SqliteEndpointStore;
  readonly recoveries: SqliteRecoveryStore;
  private readonly writes: GroupCommit;
  /** Why the last write failed, until one succeeds again. */
  private failure: string | undefined;
  private readonly probe: Statement;

  constructor(
    readonly db: Database,
    config: Config,
  ) {
    super();
    // The history's cached counts may include rows a rollback took back: read again after any rollback.
    this.writes = new GroupCommit(db, {
      onRollback: () => this.history.recount(),
      onWriteFailed: (error) => {
        this.failure = describeFailure(error);
      },
      onCommitted: () => {
        this.failure = undefined;
      },
    });
    this.dedupe = new SqliteDedupeStore(db, { ttlSeconds: config.dedupeTtlSeconds, maxEntries: config.dedupeMaxEntries }, this.writes);
    this.history = new SqliteHistoryStore(
      db,
      { limit: config.historyLimit, rejectedLimit: config.rejectedHistoryLimit, retentionDays: config.historyRetentionDays, maxBytes: config.historyMaxBytes },
      this.writes,
      this.dedupe,
    );
    this.probe = db.prepare('UPDATE storage_probe SET writes = writes + 1');
    this.deliveries = new SqliteDeliveryStore(db, { limit: config.deliveryLimit, secrets: () => config.secrets }, this.writes);
    this.endpoints = new SqliteEndpointStore(db, this.deliveries, this.writes);
    this.recoveries = new SqliteRecoveryStore(db, this.writes);
  }

  get commits(): number {
    return this.writes.commits;
  }

  /**
   * While writes fail, each call writes one small row in its own transaction (an fsync): the answer says
   * whether the database takes writes now, and a success clears the failure. Otherwise nothing is written.
   */
  async health(): Promise<StorageHealth> {
    if (!this.db.open) return { ok: false, reason: 'the database is closed' };
    if (this.failure === undefined) return { ok: true };
    try {
      this.writes.now(() => this.probe.run());
    } catch {
      // onWriteFailed has recorded why
    }
    return this.failure === undefined ? { ok: true } : { ok: false, reason: this.failure };
  }

  /** Runs `fn` as one unit of the group commit (see `GroupCommit.commit`). */
  commit<T>(fn: () => T): Promise<T> {
    return this.writes.commit(fn);
  }

  /** Runs `fn` in a transaction of its own, durable on return (see `GroupCommit.now`). */
  transaction<T>(fn: () => T): T {
    return this.writes.now(fn);
  }

  /** In a transaction of its own, durable on return; the first value stored under `name` wins. */
  keepSetting(name: string, value: string): Promise<string> {
    return Promise.resolve(
      this.writes.now(() => {
        this.db.prepare('INSERT INTO settings (name, value, created_at_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING').run(name, value, Date.now());
        return (this.db.prepare('SELECT value FROM settings WHERE name = ?').get(name) as { value: string }).value;
      }),
    );
  }

  close(): void {
    if (!this.db.open) return;
    this.writes.flush(); // what was acknowledged as joined (processing outcomes) is kept
    this.db.close();
  }
}

