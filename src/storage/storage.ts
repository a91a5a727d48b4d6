import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Now } from '../clock';
import type { Config } from '../config';
import { MemoryDedupeStore } from '../dedupe/memory-dedupe';
import { SqliteDedupeStore } from '../dedupe/sqlite-dedupe';
import type { DedupeStore } from '../dedupe/store';
import { MemoryHistoryStore } from '../history/memory-store';
import { SqliteHistoryStore } from '../history/sqlite-store';
import type { HistoryStore } from '../history/store';
import type { DeliveryStore } from '../sender/delivery-store';
import { MemoryDeliveryStore } from '../sender/memory-delivery-store';
import { SqliteDeliveryStore } from '../sender/sqlite-delivery-store';
import { openSqliteDatabase } from './sqlite-database';

/** How often expired dedupe keys and history past its retention are removed. */
export const MAINTENANCE_INTERVAL_MS = 60_000;

/** The three stores of one backend, and what they share. */
export interface Storage {
  readonly kind: Config['store'];
  readonly history: HistoryStore;
  readonly dedupe: DedupeStore;
  readonly deliveries: DeliveryStore;
  /** Runs `fn` as one unit: with SQLite, one transaction, one commit (one fsync), all or nothing. */
  transaction<T>(fn: () => T): T;
  /** Removes expired dedupe keys and history past its retention; returns how many of each. */
  sweep(nowMs: number): { dedupe: number; history: number };
  /** Starts the timer that calls `sweep` (unref'd). Returns its stop function. Called by `server.ts`, never at import. */
  startMaintenance(options: { now: Now; logger: Logger; intervalMs?: number }): () => void;
  /** Closes the database; the stores must not be used afterwards. */
  close(): void;
}

interface Sweepable {
  sweep(nowMs: number): number;
}

abstract class BaseStorage implements Storage {
  abstract readonly kind: Config['store'];
  abstract readonly history: HistoryStore & Sweepable;
  abstract readonly dedupe: DedupeStore & Sweepable;
  abstract readonly deliveries: DeliveryStore;
  abstract transaction<T>(fn: () => T): T;
  abstract close(): void;

  sweep(nowMs: number): { dedupe: number; history: number } {
    let dedupe = 0;
    // In batches, so a large backlog of expired keys never blocks the event loop for long in one go.
    for (let removed = this.dedupe.sweep(nowMs); removed > 0; removed = this.dedupe.sweep(nowMs)) dedupe += removed;
    return { dedupe, history: this.history.sweep(nowMs) };
  }

  startMaintenance({ now, logger, intervalMs = MAINTENANCE_INTERVAL_MS }: { now: Now; logger: Logger; intervalMs?: number }): () => void {
    const tick = (): void => {
      try {
        const removed = this.sweep(now());
        if (removed.dedupe > 0 || removed.history > 0) logger.debug({ removed }, 'storage sweep');
      } catch (error) {
        logger.error({ err: error }, 'storage sweep failed; will try again');
      }
    };
    tick();
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

class MemoryStorage extends BaseStorage {
  readonly kind = 'memory' as const;
  readonly history: MemoryHistoryStore;
  readonly dedupe: MemoryDedupeStore;
  readonly deliveries: MemoryDeliveryStore;

  constructor(config: Config) {
    super();
    this.history = new MemoryHistoryStore({ limit: config.historyLimit, rejectedLimit: config.rejectedHistoryLimit, retentionDays: config.historyRetentionDays });
    this.dedupe = new MemoryDedupeStore({ ttlSeconds: config.dedupeTtlSeconds, maxEntries: config.dedupeMaxEntries });
    this.deliveries = new MemoryDeliveryStore(config.deliveryLimit);
  }

  transaction<T>(fn: () => T): T {
    return fn();
  }

  close(): void {}
}

class SqliteStorage extends BaseStorage {
  readonly kind = 'sqlite' as const;
  readonly history: SqliteHistoryStore;
  readonly dedupe: SqliteDedupeStore;
  readonly deliveries: SqliteDeliveryStore;

  constructor(
    readonly db: Database,
    config: Config,
  ) {
    super();
    this.history = new SqliteHistoryStore(db, { limit: config.historyLimit, rejectedLimit: config.rejectedHistoryLimit, retentionDays: config.historyRetentionDays });
    this.dedupe = new SqliteDedupeStore(db, { ttlSeconds: config.dedupeTtlSeconds, maxEntries: config.dedupeMaxEntries });
    this.deliveries = new SqliteDeliveryStore(db, { limit: config.deliveryLimit, secrets: () => config.secrets });
  }

  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (error) {
      this.history.recount(); // its cached counts may include rows the rollback took back
      throw error;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The memory stores (`STORE=memory`). */
export function createMemoryStorage(config: Config): Storage {
  return new MemoryStorage(config);
}

/**
 * Opens the stores `config.store` names. For SQLite that opens, checks and migrates the database file, and
 * throws `StorageOpenError` (naming the path) when it cannot.
 */
export function createStorage(config: Config, options: { sqlitePath?: string } = {}): Storage {
  if (config.store === 'memory') return new MemoryStorage(config);
  return new SqliteStorage(openSqliteDatabase(options.sqlitePath ?? config.sqlitePath), config);
}
