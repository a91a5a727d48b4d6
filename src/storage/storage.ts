import type { Logger } from 'pino';
import type { Now } from '../clock';
import type { Config } from '../config';
import type { DedupeStore } from '../dedupe/store';
import type { HistoryFeed } from '../history/feed';
import type { HistoryStore } from '../history/store';
import type { WebhookEvent } from '../processing/registry';
import type { DeliveryStore } from '../sender/delivery-store';
import type { EndpointStore } from '../endpoints/endpoint-store';
import type { RecoveryJobStore } from '../endpoints/recovery-store';

/** How often expired dedupe keys and history past its retention are removed. */
export const MAINTENANCE_INTERVAL_MS = 60_000;

/** What `startMaintenance` is given; `feed` and `work` serve the backends that many instances share. */
export interface MaintenanceOptions {
  readonly now: Now;
  readonly logger: Logger;
  readonly intervalMs?: number;
  /** This instance's feed: a shared backend publishes the other instances' history changes to it. */
  readonly feed?: HistoryFeed;
  /** This instance's handler queue: a shared backend hands it events whose processing another instance abandoned. */
  readonly work?: { enqueue(event: WebhookEvent): void; pending(): number };
}

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
  /** Provider mode: endpoints, their secrets, events and their deliveries' index. */
  readonly endpoints: EndpointStore;
  /** Endpoint recovery jobs and their progress: with a database, every instance's, resumed after a crash. */
  readonly recoveries: RecoveryJobStore;
  /** COMMITs made so far (each an fsync with SQLite; always 0 with memory): for tests and metrics. */
  readonly commits: number;
  /**
   * Whether the store can write: after a failed write or COMMIT, not until a write succeeds again. While it
   * is failing, each call tries a small write of its own, so it recovers without waiting for traffic.
   */
  health(): Promise<StorageHealth>;
  /** Removes expired dedupe keys and history past its retention; returns how many of each (PostgreSQL: a promise). */
  sweep(nowMs: number): { dedupe: number; history: number } | Promise<{ dedupe: number; history: number }>;
  /**
   * Starts the timer that calls `sweep` (unref'd), and with PostgreSQL what many instances share (the other
   * instances' changes into `feed`, abandoned processing into `work`). Returns its stop function. Called by
   * `server.ts`, never at import.
   */
  startMaintenance(options: MaintenanceOptions): () => void;
  /** Resolves once what `startMaintenance` started is up (PostgreSQL: its LISTEN connection, or its first failure). */
  ready?(): Promise<void>;
  /**
   * Keeps a setting across restarts: stores `value` under `name` unless a value is stored there already, and
   * resolves with the stored one, durable. Two instances racing get the same value (the first one stored).
   * Used for the generated `WEBHOOK_SECRET` (storage/kept-secret.ts); memory keeps it for this process only.
   * Postgres: `INSERT ... ON CONFLICT (name) DO NOTHING`, then `SELECT value`.
   */
  keepSetting(name: string, value: string): Promise<string>;
  /** Closes the database (PostgreSQL: once the writes in flight are done); the stores must not be used afterwards. */
  close(): void | Promise<void>;
}

export interface Sweepable {
  sweep(nowMs: number): number;
}

export abstract class BaseStorage implements Storage {
  abstract readonly kind: Config['store'];
  abstract readonly history: HistoryStore & Sweepable;
  abstract readonly dedupe: DedupeStore & Sweepable;
  abstract readonly deliveries: DeliveryStore;
  abstract readonly endpoints: EndpointStore;
  abstract readonly recoveries: RecoveryJobStore;
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

  startMaintenance({ now, logger, intervalMs = MAINTENANCE_INTERVAL_MS }: MaintenanceOptions): () => void {
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

