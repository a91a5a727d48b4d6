import type { Config } from '../../config';
import { MemoryDeliveryStore } from './delivery-store';
import { MemoryEndpointStore } from './endpoint-store';
import { MemoryRecoveryStore } from './recovery-store';
import { BaseStorage, type StorageHealth } from '../storage';

const HEALTHY: Promise<StorageHealth> = Promise.resolve({ ok: true });
import { MemoryDedupeStore } from './dedupe-store';
import { MemoryHistoryStore } from './history-store';

/** Everything in this process: nothing to commit, lost on restart. */
export class MemoryStorage extends BaseStorage {
  readonly kind = 'memory' as const;
  readonly history: MemoryHistoryStore;
  readonly dedupe: MemoryDedupeStore;
  readonly deliveries: MemoryDeliveryStore;
  readonly endpoints: MemoryEndpointStore;
  readonly recoveries = new MemoryRecoveryStore();

  /** @param parts stores to use instead of new ones (tests pass failing ones); `history` writes its keys to `dedupe`. */
  constructor(config: Config, parts: { history?: MemoryHistoryStore; dedupe?: MemoryDedupeStore } = {}) {
    super();
    this.dedupe = parts.dedupe ?? new MemoryDedupeStore({ ttlSeconds: config.dedupeTtlSeconds, maxEntries: config.dedupeMaxEntries });
    this.history =
      parts.history ??
      new MemoryHistoryStore(
        { limit: config.historyLimit, rejectedLimit: config.rejectedHistoryLimit, retentionDays: config.historyRetentionDays, maxBytes: config.historyMaxBytes },
        this.dedupe,
      );
    this.deliveries = new MemoryDeliveryStore(config.deliveryLimit);
    this.endpoints = new MemoryEndpointStore(this.deliveries);
  }

  readonly commits = 0;

  /** Memory always takes a write. */
  health(): Promise<StorageHealth> {
    return HEALTHY;
  }

  private readonly settings = new Map<string, string>();

  /** Kept for this process only: memory is lost on restart (which is why a generated secret is too). */
  keepSetting(name: string, value: string): Promise<string> {
    if (!this.settings.has(name)) this.settings.set(name, value);
    return Promise.resolve(this.settings.get(name)!);
  }

  close(): void {}
}

