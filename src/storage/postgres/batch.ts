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

/** What a unit of work sees: its queries run inside the batch's transaction, in a savepoint of its own. */
export interface Tx extends Queryable {
  /** Undoes what this unit wrote so far (ROLLBACK TO its savepoint); the unit may go on writing. */
  rollbackUnit(): Promise<void>;
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
 * (../sqlite/group-commit.ts). Each unit runs in a SAVEPOINT of its own: a unit that fails is rolled back alone
 * and rejected, the others go on. At the end of the turn (or at `maxUnits`) one COMMIT makes them durable, and
 * only then does any unit's promise resolve: the receive route answers 200 for a committed event only.
 *
 * A batch that PostgreSQL aborts for a deadlock or a serialization failure (two instances' batches locking
 * the same dedupe keys in opposite orders) is run again from the start, up to `BATCH_ATTEMPTS` times; every
 * unit is a function of the database alone, so running it again is safe. Any other failure of the
 * transaction (a lost connection, a failed COMMIT) rejects every unit of the batch: nothing of it is kept.
 * Batches of consecutive turns may run at once, each on its own pooled connection.
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
    let broken: unknown;
    try {
      for (let attempt = 1; ; attempt += 1) {
        const outcomes = await this.attempt(client, units).catch((error: unknown) => ({ error }));
        if (!('error' in outcomes)) {
          this.commits += 1;
          this.options.onCommitted?.();
          for (const [i, unit] of units.entries()) {
            const outcome = outcomes.results[i]!;
            if (outcome.ok) unit.resolve(outcome.value);
            else unit.reject(outcome.error);
          }
          return;
        }
        await client.query('ROLLBACK').catch((error: unknown) => {
          broken = error;
        });
        if (broken === undefined && isRetryable(outcomes.error) && attempt < BATCH_ATTEMPTS) continue;
        this.options.onWriteFailed?.(outcomes.error);
        for (const unit of units) unit.reject(outcomes.error);
        return;
      }
    } finally {
      // A connection that failed mid-transaction is destroyed, not handed to the next batch.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  /** One run of the whole batch: BEGIN, each unit in its savepoint, one NOTIFY, COMMIT. Throws to retry or fail it all. */
  private async attempt(client: PoolClient, units: readonly Unit[]): Promise<{ results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] }> {
    const changes = new Map<ChangeKind, string[]>();
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    await client.query('BEGIN');
    for (const unit of units) {
      const unitChanges: [ChangeKind, string][] = [];
      const tx: Tx = {
        query: (text, values) => client.query(text, values),
        rollbackUnit: async () => {
          await client.query('ROLLBACK TO SAVEPOINT u');
          unitChanges.length = 0;
        },
        changed: (kind, seq) => unitChanges.push([kind, String(seq)]),
      };
      // The savepoints are not released: the name is reused (ROLLBACK TO names the newest), and COMMIT ends them all.
      await client.query('SAVEPOINT u');
      try {
        results.push({ ok: true, value: await unit.run(tx) });
        for (const [kind, seq] of unitChanges) (changes.get(kind) ?? changes.set(kind, []).get(kind)!).push(seq);
      } catch (error) {
        // A deadlock or a serialization failure aborts the whole batch (and runs it again); a lost connection too.
        if (isRetryable(error)) throw error;
        await client.query('ROLLBACK TO SAVEPOINT u');
        results.push({ ok: false, error });
      }
    }
    for (const payload of notifyPayloads(this.options.origin, changes)) {
      await client.query('SELECT pg_notify($1, $2)', [this.options.channel, payload]);
    }
    await client.query('COMMIT');
    return { results };
  }
}
