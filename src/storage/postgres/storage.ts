import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Config } from '../../config';
import type { MaintenanceOptions, Storage, StorageHealth } from '../storage';
import { PgBatch } from './batch';
import { PgDedupeStore } from './dedupe-store';
import { PgDeliveryStore } from './delivery-store';
import { PgEndpointStore } from './endpoint-store';
import { PgRecoveryStore } from './recovery-store';
import { PgHistoryStore } from './history-store';
import { LEASE_MARGIN_MS, ProcessingLeases } from './leases';
import { followHistory, HISTORY_CHANNEL } from './listener';

/** The advisory lock of the maintenance job: one instance at a time trims the tables for all. */
export const MAINTENANCE_LOCK_KEY = 0x77_65_62_6d; // "webm"

/** How often the maintenance job runs: limits are enforced here, not on insert, so they may be passed for this long. */
export const PG_MAINTENANCE_INTERVAL_MS = 5_000;

/** How often held leases are renewed and abandoned jobs looked for, at most (a third of the lease if shorter). */
export const RECLAIM_INTERVAL_MS = 5_000;

/** What `/healthz` says about a failed write: the driver's code and message (no event data, no password). */
function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return `the database cannot be written: ${typeof code === 'string' ? `${code}: ` : ''}${message}`;
}

/** A process's id among the instances: its host, its pid and a random part (a pid is reused after a restart). */
export function instanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export interface PostgresStorageOptions {
  /** The URL the pool was opened on: the LISTEN connection opens its own. */
  readonly url: string;
  /** This instance's id; a new one by default. */
  readonly origin?: string;
  /** A processing lease's length; PROCESSING_TIMEOUT_MS plus `LEASE_MARGIN_MS` by default. */
  readonly leaseMs?: number;
}

/**
 * One PostgreSQL database shared by any number of instances (docs/scaling.md). History, dedupe keys,
 * processing jobs and provider mode's endpoints live in it; every write goes through one group commit (batch.ts).
 *
 * The delivery outbox is the `deliveries` table (delivery-store.ts): each instance claims what is due under a
 * lease, and polls for what the others stored.
 */
export class PostgresStorage implements Storage {
  readonly kind = 'postgres' as const;
  readonly history: PgHistoryStore;
  readonly dedupe: PgDedupeStore;
  readonly deliveries: PgDeliveryStore;
  /** Endpoints, their secrets, events and their deliveries' index, in the database: every instance sees the same. */
  readonly endpoints: PgEndpointStore;
  /** Recovery jobs: any instance reports their progress, and takes over those of an instance that died. */
  readonly recoveries: PgRecoveryStore;
  readonly leases: ProcessingLeases;
  readonly origin: string;
  private readonly batch: PgBatch;
  private failure: string | undefined;
  private closed = false;

  constructor(
    readonly pool: Pool,
    private readonly config: Config,
    private readonly options: PostgresStorageOptions,
  ) {
    this.origin = options.origin ?? instanceId();
    this.batch = new PgBatch(pool, {
      origin: this.origin,
      channel: HISTORY_CHANNEL,
      onWriteFailed: (error) => {
        this.failure = describeFailure(error);
      },
      onCommitted: () => {
        this.failure = undefined;
      },
    });
    this.leases = new ProcessingLeases(this.origin, options.leaseMs ?? config.processingTimeoutMs + LEASE_MARGIN_MS);
    this.dedupe = new PgDedupeStore(pool, this.batch, { ttlSeconds: config.dedupeTtlSeconds, maxEntries: config.dedupeMaxEntries });
    this.history = new PgHistoryStore(pool, this.batch, {
      limit: config.historyLimit,
      rejectedLimit: config.rejectedHistoryLimit,
      retentionDays: config.historyRetentionDays,
      maxBytes: config.historyMaxBytes,
      dedupeTtlMs: this.dedupe.ttlMs,
      leases: this.leases,
    });
    this.deliveries = new PgDeliveryStore(pool, this.batch, { limit: config.deliveryLimit, secrets: () => config.secrets, owner: this.origin });
    this.endpoints = new PgEndpointStore(pool, this.batch, this.deliveries);
    this.recoveries = new PgRecoveryStore(pool, this.batch);
  }

  get commits(): number {
    return this.batch.commits;
  }

  /**
   * A round trip to the database: `SELECT 1` while writes succeed, a small write while they fail (its success
   * clears the failure). So `/healthz` says 503 when the database is down even without traffic.
   */
  async health(): Promise<StorageHealth> {
    if (this.closed) return { ok: false, reason: 'the database is closed' };
    try {
      if (this.failure === undefined) await this.pool.query('SELECT 1');
      else await this.pool.query('UPDATE storage_probe SET writes = writes + 1 WHERE id = 1');
      this.failure = undefined;
      return { ok: true };
    } catch (error) {
      this.failure = describeFailure(error);
      return { ok: false, reason: this.failure };
    }
  }

  /** Removes expired dedupe keys and history past its retention; returns how many of each. */
  async sweep(nowMs: number): Promise<{ dedupe: number; history: number }> {
    let dedupe = 0;
    for (let removed = await this.dedupe.sweep(nowMs); removed > 0; removed = await this.dedupe.sweep(nowMs)) dedupe += removed;
    return { dedupe, history: await this.history.sweep(nowMs) };
  }

  /**
   * The one periodic job of all instances: whichever takes the advisory lock sweeps expired keys and old
   * entries and enforces the limits; the others skip this round. Returns what it removed, or undefined when
   * another instance holds the lock.
   */
  async maintain(nowMs: number): Promise<{ dedupe: number; history: number } | undefined> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MAINTENANCE_LOCK_KEY]);
      if (!rows[0]!.locked) return undefined;
      try {
        let dedupe = 0;
        for (let removed = await this.dedupe.sweep(nowMs, undefined, client); removed > 0; removed = await this.dedupe.sweep(nowMs, undefined, client)) dedupe += removed;
        dedupe += await this.dedupe.enforceLimits(client);
        const history = (await this.history.sweep(nowMs, client)) + (await this.history.enforceLimits(client));
        await this.deliveries.enforceLimits(client);
        return { dedupe, history };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MAINTENANCE_LOCK_KEY]);
      }
    } finally {
      client.release();
    }
  }

  /** Renews the leases held here, then claims abandoned jobs while the processor has room. */
  async reclaim(work: NonNullable<MaintenanceOptions['work']>): Promise<number> {
    await this.leases.renew(this.pool);
    const room = this.config.processingConcurrency * 2 - work.pending();
    if (room <= 0) return 0;
    const events = await this.leases.claim(this.pool, { limit: room });
    for (const event of events) work.enqueue(event);
    return events.length;
  }

  startMaintenance({ now, logger, intervalMs = PG_MAINTENANCE_INTERVAL_MS, feed, work }: MaintenanceOptions): () => void {
    const timers: NodeJS.Timeout[] = [];
    const every = (ms: number, name: string, fn: () => Promise<unknown>): void => {
      let running = false;
      const tick = (): void => {
        if (running || this.closed) return;
        running = true;
        fn()
          .catch((error: unknown) => logger.warn({ err: error }, `${name} failed; will try again`))
          .finally(() => {
            running = false;
          });
      };
      const timer = setInterval(tick, ms);
      timer.unref();
      timers.push(timer);
    };
    every(intervalMs, 'storage maintenance', async () => {
      const removed = await this.maintain(now());
      if (removed && (removed.dedupe > 0 || removed.history > 0)) logger.debug({ removed }, 'storage maintenance');
    });
    if (work) {
      every(Math.min(RECLAIM_INTERVAL_MS, Math.floor(this.leases.leaseMs / 3)), 'processing lease renewal', async () => {
        const claimed = await this.reclaim(work);
        if (claimed > 0) logger.info({ events: claimed }, 'took over events whose processing lease had expired');
      });
    }
    const follower = feed ? followHistory({ url: this.options.url, pool: this.pool, origin: this.origin, feed, logger }) : undefined;
    this.follower = follower;
    return () => {
      for (const timer of timers) clearInterval(timer);
      void follower?.stop();
    };
  }

  async ready(): Promise<void> {
    await this.follower?.ready;
  }

  /** The LISTEN side, once `startMaintenance` was given a feed (tests wait on it). */
  follower: ReturnType<typeof followHistory> | undefined;

  /** See `Storage.keepSetting`: the first instance to store a value wins, and every instance reads that one. */
  async keepSetting(name: string, value: string): Promise<string> {
    await this.pool.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [name, value]);
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [name]);
    return rows[0]!.value;
  }

  /** Waits for the writes in flight, then closes the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.batch.idle();
    await this.follower?.stop();
    await this.pool.end();
  }
}
