import type { Pool, PoolClient } from 'pg';
import type { Queryable } from './rows';

/** Units one transaction takes at most; the rest of a large burst goes to the next one (as SQLite's group commit). */
export const MAX_BATCH_UNITS = 256;

/** Attempts of one batch when PostgreSQL aborts it for a deadlock or a serialization failure. */
export const BATCH_ATTEMPTS = 4;

/** The SQLSTATEs after which the same transaction, run again, can succeed. */
const RETRYABLE = new Set(['40P01', '40001']);

export function isRetryable(error: unknown): boolean {
  return RETRYABLE.has(String((error as { code?: unknown } | null)?.code));
}

/** Bytes of one NOTIFY payload at most (PostgreSQL refuses 8000 and more): longer lists are split. */
const NOTIFY_MAX_BYTES = 7000;

/**
 * What a unit of work sees: its queries run inside the batch's transaction. A unit undoes its own writes by
 * statements (the receive path deletes the keys it claimed before answering a duplicate) rather than a
 * savepoint, which would cost a round trip per webhook.
 */
export interface Tx extends Queryable {
  /** Announces a changed history row to every instance, on the batch's COMMIT (see listener.ts). */
  changed(kind: ChangeKind, seq: string | number): void;
}

/** `r`: a row was inserted (received or rejected); `u`: its duplicates or processing changed; `c`: cleared. */
export type ChangeKind = 'r' | 'u' | 'c';

export interface BatchOptions {
  /** This instance's id: NOTIFY payloads carry it, so an instance skips its own changes. */
  readonly origin: string;
  /** The NOTIFY channel. */
  readonly channel: string;
  readonly maxUnits?: number;
  /** A write or a COMMIT failed. */
  readonly onWriteFailed?: (error: unknown) => void;
  /** A COMMIT succeeded: the database takes writes. */
  readonly onCommitted?: () => void;
}

interface Unit {
  readonly run: (tx: Tx) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Splits the changes of one transaction into NOTIFY payloads: `{"o": origin, "r": [...], "u": [...]}`. */
export function notifyPayloads(origin: string, changes: ReadonlyMap<ChangeKind, readonly string[]>): string[] {
  const payloads: string[] = [];
  let current: Record<string, unknown> = { o: origin };
  let bytes = JSON.stringify(current).length;
  for (const [kind, seqs] of changes) {
    for (const seq of seqs) {
      if (bytes + seq.length + 8 > NOTIFY_MAX_BYTES) {
        payloads.push(JSON.stringify(current));
        current = { o: origin };
        bytes = JSON.stringify(current).length;
      }
      const list = (current[kind] ??= []) as string[];
      list.push(seq);
      bytes += seq.length + 8;
    }
  }
  if (Object.keys(current).length > 1) payloads.push(JSON.stringify(current));
  return payloads;
}

/**
 * Group commit for PostgreSQL: the writes of one turn of the event loop share one transaction, as SQLite's
 * (../sqlite/group-commit.ts). At the end of the turn (or at `maxUnits`) one COMMIT makes them durable, and only
 * then does any unit's promise resolve: the receive route answers 200 for a committed event only.
 *
 * No savepoint per unit (a round trip each, as many as the webhook's own statement): a unit whose statement
 * fails aborts the transaction, which is then rolled back and run again without that unit, which alone is
 * rejected. A batch that PostgreSQL aborts for a deadlock or a serialization failure (two instances' batches
 * locking the same dedupe keys in opposite orders) is run again from the start, up to `BATCH_ATTEMPTS` times.
 * Every unit is a function of the database alone, so running it again is safe. Any other failure (a lost
 * connection, a failed COMMIT) rejects every unit of the batch: nothing of it is kept. Batches of consecutive
 * turns may run at once, each on its own pooled connection.
 */
export class PgBatch {
  private queue: Unit[] = [];
  private scheduled = false;
  private readonly running = new Set<Promise<void>>();
  commits = 0;

  constructor(
    private readonly pool: Pool,
    private readonly options: BatchOptions,
  ) {}

  /** Runs `run` as a unit of this turn's transaction; resolves with its value once that transaction has committed. */
  commit<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length >= (this.options.maxUnits ?? MAX_BATCH_UNITS)) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Resolves once every batch started so far has committed or failed. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.queue.length > 0) {
      if (this.queue.length > 0) this.flush();
      await Promise.allSettled([...this.running]);
    }
  }

  private flush(): void {
    this.scheduled = false;
    const units = this.queue;
    this.queue = [];
    if (units.length === 0) return;
    const done = this.runBatch(units).finally(() => this.running.delete(done));
    this.running.add(done);
  }

  private async runBatch(units: readonly Unit[]): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.options.onWriteFailed?.(error);
      for (const unit of units) unit.reject(error);
      return;
    }
    // Units that failed on their own: the batch runs again without them.
    const failed = new Map<number, unknown>();
    let broken: unknown;
    try {
      for (let attempt = 1; ; ) {
        const outcome = await this.attempt(client, units, failed).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (outcome === undefined) {
          if (failed.size < units.length) {
            this.commits += 1;
            this.options.onCommitted?.();
          }
          for (const [i, unit] of units.entries()) {
            if (failed.has(i)) unit.reject(failed.get(i));
          }
          return;
        }
        await client.query('ROLLBACK').catch((error: unknown) => {
          broken = error;
        });
        if (broken === undefined && outcome instanceof UnitFailed) {
          failed.set(outcome.index, outcome.cause);
          continue;
        }
        attempt += 1;
        if (broken === undefined && isRetryable(outcome) && attempt <= BATCH_ATTEMPTS) continue;
        this.options.onWriteFailed?.(outcome);
        for (const unit of units) unit.reject(outcome);
        return;
      }
    } finally {
      // A connection that failed mid-transaction is destroyed, not handed to the next batch.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /**
   * One run of the batch: BEGIN, each unit (but those in `failed`), one NOTIFY, COMMIT; then each unit's
   * promise resolves. Throws `UnitFailed` when a unit fails on its own (the batch is run again without it),
   * anything else to retry (a deadlock) or fail the whole batch.
   */
  private async attempt(client: PoolClient, units: readonly Unit[], failed: ReadonlyMap<number, unknown>): Promise<void> {
    const changes = new Map<ChangeKind, string[]>();
    const values: unknown[] = [];
    await client.query('BEGIN');
    for (const [index, unit] of units.entries()) {
      if (failed.has(index)) continue;
      const tx: Tx = {
        query: (text, params) => client.query(text, params),
        changed: (kind, seq) => (changes.get(kind) ?? changes.set(kind, []).get(kind)!).push(String(seq)),
      };
      try {
        values[index] = await unit.run(tx);
      } catch (error) {
        // A deadlock or a serialization failure is the batch's (run it again); a lost connection too (ROLLBACK fails).
        throw isRetryable(error) ? error : new UnitFailed(index, error);
      }
    }
    for (const payload of notifyPayloads(this.options.origin, changes)) {
      await client.query('SELECT pg_notify($1, $2)', [this.options.channel, payload]);
    }
    if (failed.size < units.length) await client.query('COMMIT');
    else await client.query('ROLLBACK');
    for (const [index, unit] of units.entries()) if (!failed.has(index)) unit.resolve(values[index]);
  }
}

/** A unit failed on its own (its statement was refused): the others of its batch are run again without it. */
class UnitFailed extends Error {
  constructor(
    readonly index: number,
    override readonly cause: unknown,
  ) {
    super('a unit of the batch failed');
  }
}
