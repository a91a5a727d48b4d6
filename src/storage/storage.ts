import type { Logger } from 'pino';
import type { Now } from '../clock';
import type { Config } from '../config';
import type { DedupeStore } from '../dedupe/store';
import type { HistoryStore } from '../history/store';
import type { DeliveryStore } from '../sender/delivery-store';

/** How often expired dedupe keys and history past its retention are removed. */
export const MAINTENANCE_INTERVAL_MS = 60_000;

/** The three stores of one backend, and what they share. */
export interface Storage {
  readonly kind: Config['store'];
  readonly history: HistoryStore;
  readonly dedupe: DedupeStore;
  readonly deliveries: DeliveryStore;
  /**
   * Runs `fn` as one unit, all or nothing, and tells when it is durable. Memory: runs it and returns its value
   * (nothing to wait for, so the caller can stay synchronous). SQLite: group commit (see `group-commit.ts`):
   * `fn` runs at once in the open batch, and the promise resolves once the COMMIT holding it (one fsync for
   * every unit of the turn) has succeeded; it rejects if `fn` throws (only this unit is rolled back) or if
   * that COMMIT fails (the whole batch is).
   */
  commit<T>(fn: () => T): T | Promise<T>;
  /**
   * Runs `fn` as one unit, durable on return: with SQLite its own transaction and commit (any open batch is
   * committed first); inside a `commit` unit, part of it.
   */
  transaction<T>(fn: () => T): T;
  /**
   * Runs `callback` once what is being written now is committed: at once with memory, or outside a unit;
   * after the batch's COMMIT with SQLite, and never if it rolls back. The history feed publishes through it.
   */
  afterCommit(callback: () => void): void;
  /** COMMITs made so far (each an fsync with SQLite; always 0 with memory): for tests and metrics. */
  readonly commits: number;
  /** Removes expired dedupe keys and history past its retention; returns how many of each. */
  sweep(nowMs: number): { dedupe: number; history: number };
  /** Starts the timer that calls `sweep` (unref'd). Returns its stop function. Called by `server.ts`, never at import. */
  startMaintenance(options: { now: Now; logger: Logger; intervalMs?: number }): () => void;
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
  abstract commit<T>(fn: () => T): T | Promise<T>;
  abstract transaction<T>(fn: () => T): T;
  abstract afterCommit(callback: () => void): void;
  abstract readonly commits: number;
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

