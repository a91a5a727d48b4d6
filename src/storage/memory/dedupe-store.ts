import { FifoMap } from '../../collections/fifo-map';
import type { DedupeStore } from '../../dedupe/store';

/** `check`'s answer when none of the keys is held, live or expired. */
export const NO_KEY_HELD: unique symbol = Symbol('no key held');

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

  /** `lookup`, at once. */
  find(keys: readonly string[], nowMs: number): string | undefined {
    const held = this.check(keys, nowMs);
    return typeof held === 'string' ? held : undefined;
  }

  /**
   * What the history's `accept` checks in the same step as it writes: the event a live key names; else
   * `NO_KEY_HELD` when none of `keys` is held at all (then `keep(..., true)` inserts them without looking
   * them up again: two map operations per webhook fewer), undefined when some are held but expired.
   */
  check(keys: readonly string[], nowMs: number): string | typeof NO_KEY_HELD | undefined {
    let absent = true;
    for (const key of keys) {
      const hit = this.entries.get(key);
      if (hit === undefined) continue;
      if (hit.expiresAtMs > nowMs) return hit.eventId;
      absent = false;
    }
    return absent ? NO_KEY_HELD : undefined;
  }

  /**
   * `remember`, at once. `absent`: `check` has just answered `NO_KEY_HELD` for these keys, with no write
   * in between.
   */
  keep(keys: readonly string[], eventId: string, nowMs: number, absent = false): void {
    this.sweep(nowMs);
    const value = { eventId, expiresAtMs: nowMs + this.ttlMs };
    // Each key becomes the newest, keeping insertion order equal to expiry order. The sweep above removes
    // only expired keys, which `check` counted as held, so `absent` still holds after it.
    // A key listed twice is no longer absent the second time.
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i]!;
      if (absent && keys.indexOf(key) === i) this.entries.setAbsent(key, value);
      else this.entries.set(key, value);
    }
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
