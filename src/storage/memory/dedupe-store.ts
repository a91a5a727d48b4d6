import { FifoMap } from '../../collections/fifo-map';
import type { DedupeStore } from '../../dedupe/store';

export interface MemoryDedupeOptions {
  /** How long a key is remembered, in seconds. */
  readonly ttlSeconds: number;
  /** Keys kept at most; past it the oldest are forgotten first. */
  readonly maxEntries: number;
}

/**
 * Keys in insertion order. Every key lives for the same time-to-live, so insertion order is expiry order:
 * expired keys are swept from the front, O(1) amortized per insert, and memory stays bounded.
 */
export class MemoryDedupeStore implements DedupeStore {
  private readonly entries = new FifoMap<string, { eventId: string; expiresAtMs: number }>();
  private readonly ttlMs: number;

  constructor(private readonly options: MemoryDedupeOptions) {
    this.ttlMs = options.ttlSeconds * 1000;
  }

  async lookup(keys: readonly string[], nowMs: number): Promise<string | undefined> {
    return this.find(keys, nowMs);
  }

  async remember(keys: readonly string[], eventId: string, nowMs: number): Promise<void> {
    this.keep(keys, eventId, nowMs);
  }

  async size(): Promise<number> {
    return this.entries.size;
  }

  /** `lookup`, at once: what the history's `accept` checks in the same step as it writes. */
  find(keys: readonly string[], nowMs: number): string | undefined {
    for (const key of keys) {
      const hit = this.entries.get(key);
      if (hit && hit.expiresAtMs > nowMs) return hit.eventId;
    }
    return undefined;
  }

  /** `remember`, at once. */
  keep(keys: readonly string[], eventId: string, nowMs: number): void {
    this.sweep(nowMs);
    const value = { eventId, expiresAtMs: nowMs + this.ttlMs };
    // set() makes each key the newest, keeping insertion order equal to expiry order.
    for (const key of keys) this.entries.set(key, value);
    while (this.entries.size > this.options.maxEntries) this.entries.shift();
  }

  /** Forgets keys expired at `nowMs`; returns how many. Also runs on every `remember` (`keep`). */
  sweep(nowMs: number): number {
    let removed = 0;
    for (let oldest = this.entries.oldestValue(); oldest !== undefined && oldest.expiresAtMs <= nowMs; oldest = this.entries.oldestValue()) {
      this.entries.shift();
      removed += 1;
    }
    return removed;
  }
}
