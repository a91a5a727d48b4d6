import type { Logger } from 'pino';
import type { Now } from '../clock';
import type { Config } from '../config';
import type { DedupeStore } from '../dedupe/store';
import type { HistoryStore } from '../history/store';
import type { DeliveryStore } from '../sender/delivery-store';

/** How often expired dedupe keys and history past its retention are removed. */
export const MAINTENANCE_INTERVAL_MS = 60_000;

/** Whether the store can write now; `reason` says why not (for `/healthz`). */
export type StorageHealth = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * The three stores of one backend, and what they share. The stores' own contracts are beside their
 * concepts (history/, dedupe/, processing/, sender/delivery-store.ts); each backend's folder here
 * (memory/, sqlite/) implements them, with its schema and migrations.
 */
export interface Storage {
  readonly kind: Config['store'];
  readonly history: HistoryStore;
  readonly dedupe: DedupeStore;
  readonly deliveries: DeliveryStore;
  /** COMMITs made so far (each an fsync with SQLite; always 0 with memory): for tests and metrics. */
  readonly commits: number;
  /**
   * Whether the store can write: after a failed write or COMMIT, not until a write succeeds again. While it
   * is failing, each call tries a small write of its own, so it recovers without waiting for traffic.
   */
  health(): Promise<StorageHealth>;
  /** Removes expired dedupe keys and history past its retention; returns how many of each. */
  sweep(nowMs: number): { dedupe: number; history: number };
  /** Starts the timer that calls `sweep` (unref'd). Returns its stop function. Called by `server.ts`, never at import. */
  startMaintenance(options: { now: Now; logger: Logger; intervalMs?: number }): () => void;
  /**
   * Keeps a setting across restarts: stores `value` under `name` unless a value is stored there already, and
   * resolves with the stored one, durable. Two instances racing get the same value (the first one stored).
   * Used for the generated `WEBHOOK_SECRET` (storage/kept-secret.ts); memory keeps it for this process only.
   * Postgres: `INSERT ... ON CONFLICT (name) DO NOTHING`, then `SELECT value`.
   */
  keepSetting(name: string, value: string): Promise<string>;
  /** Closes the database; the stores must not be used afterwards. */
  close(): void;
}

export interface Sweepable {
  sweep(nowMs: number): number;
}

export abstract class BaseStorage implements Storage {
  abstract readonly kind: Config['store'];
  abstract readonly history: HistoryStore & Sweepable;
  abstract readonly dedupe: DedupeStore & Sweepable;
  abstract readonly deliveries: DeliveryStore;
  abstract readonly commits: number;
  abstract health(): Promise<StorageHealth>;
  abstract keepSetting(name: string, value: string): Promise<string>;
  abstract close(): void;

  sweep(nowMs: number): { dedupe: number; history: number } {
    let dedupe = 0;
    // Every batch at once; the maintenance timer instead yields to the event loop between batches.
    for (let removed = this.dedupe.sweep(nowMs); removed > 0; removed = this.dedupe.sweep(nowMs)) dedupe += removed;
    return { dedupe, history: this.history.sweep(nowMs) };
  }

  startMaintenance({ now, logger, intervalMs = MAINTENANCE_INTERVAL_MS }: { now: Now; logger: Logger; intervalMs?: number }): () => void {
    let stopped = false;
    let running = false;
    // One batch of expired dedupe keys per turn of the event loop (setImmediate between them), so a large
    // backlog is worked off without holding requests up; then the history's retention.
    const tick = (): void => {
      if (running || stopped) return;
      running = true;
      const nowMs = now();
      let dedupe = 0;
      const step = (): void => {
        if (stopped) return;
        try {
          const removed = this.dedupe.sweep(nowMs);
          dedupe += removed;
          if (removed > 0) {
            setImmediate(step);
            return;
          }
          const history = this.history.sweep(nowMs);
          if (dedupe > 0 || history > 0) logger.debug({ removed: { dedupe, history } }, 'storage sweep');
        } catch (error) {
          logger.error({ err: error }, 'storage sweep failed; will try again');
        }
        running = false;
      };
      step();
    };
    tick();
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }
}

