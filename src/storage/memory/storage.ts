import type { Config } from '../../config';
import { MemoryDeliveryStore } from '../../sender/memory-delivery-store';
import { BaseStorage } from '../storage';
import { MemoryDedupeStore } from './dedupe-store';
import { MemoryHistoryStore } from './history-store';

/** Everything in this process: nothing to commit, lost on restart. */
export class MemoryStorage extends BaseStorage {
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

  readonly commits = 0;

  commit<T>(fn: () => T): T {
    return fn();
  }

  transaction<T>(fn: () => T): T {
    return fn();
  }

  afterCommit(callback: () => void): void {
    callback();
  }

  close(): void {}
}

