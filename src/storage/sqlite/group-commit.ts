import type { Database, Statement } from 'better-sqlite3';

/**
 * Units one batch takes before it is committed at once instead of at the end of the turn: bounds the wait of
 * the first unit of a large burst and the size of one WAL append.
 */
export const MAX_BATCH_UNITS = 256;

/** How a store makes a write: every SQLite store goes through one of these, so no write bypasses the batch. */
export interface Writes {
  /**
   * Runs `fn` as a unit of the open batch (or opens one) and resolves with its value once that batch is
   * committed; rejects if `fn` throws (only this unit is rolled back) or the batch's COMMIT fails.
   */
  commit<T>(fn: () => T): Promise<T>;
  /**
   * Durable on return: commits the open batch first (a write that must not ride on a batch that may still fail),
   * then runs `fn` in its own transaction. Inside a unit, it is part of that unit (a savepoint).
   */
  now<T>(fn: () => T): T;
  /**
   * Joins the open batch (or opens one) as a unit of its own and returns at once; durable when that batch
   * commits, lost if it fails. For writes nobody is waiting on: processing outcomes, duplicate counts,
   * rejected requests. Inside a unit, it is part of that unit.
   */
  join<T>(fn: () => T): T;
}

/** Each write in its own transaction (or savepoint): stores built without a `GroupCommit`, as in the contract tests. */
export function directWrites(db: Database): Writes {
  const run = <T>(fn: () => T): T => db.transaction(fn)();
  const commit = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(run(fn));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return { commit, now: run, join: run };
}

export interface GroupCommitOptions {
  /** Units per batch at most; see `MAX_BATCH_UNITS`. */
  readonly maxUnits?: number;
  /** After any rollback (a unit's or a batch's): caches of row counts read the tables again. */
  readonly onRollback?: () => void;
  /** A write or a COMMIT failed (a full disk, an I/O error, a lost lock, a failing constraint). */
  readonly onWriteFailed?: (error: unknown) => void;
  /** A COMMIT of at least one write succeeded: the database can be written. */
  readonly onCommitted?: () => void;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Batch {
  units: number;
  readonly waiters: Waiter[];
  timer?: NodeJS.Immediate;
}

/**
 * Group commit on one better-sqlite3 connection. `commit(fn)` runs `fn` at once, inside the transaction of
 * the open batch (BEGIN IMMEDIATE by the first unit of a turn), in a savepoint of its own: a unit that throws
 * is rolled back alone and its caller gets the error. The batch is committed with `setImmediate`, once every
 * request that arrived in the same turn of the event loop has written (or at `maxUnits`): one COMMIT, one
 * fsync with `synchronous=FULL`, for all of them. Each unit's promise resolves only after that COMMIT
 * succeeded; if it fails, the whole batch is rolled back and every promise rejects.
 *
 * The connection is shared, so between the first unit and the COMMIT every statement on it runs inside the
 * batch. Stores therefore write through `commit` (a unit of the batch, resolved at its COMMIT: every
 * write of the asynchronous contracts), `now` (commits the batch first: the outbox) or `join` (rides on it
 * and returns at once); reads in that window see the batch's uncommitted rows, which is why a duplicate's
 * answer (a unit too) waits for the batch.
 */
export class GroupCommit implements Writes {
  private batch: Batch | undefined;
  /** True while a unit (or a `now` transaction) runs: writes made then are part of it. */
  private scope = false;
  private commitCount = 0;
  private readonly maxUnits: number;
  private readonly sql: Record<'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo', Statement>;

  constructor(
    private readonly db: Database,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxUnits = options.maxUnits ?? MAX_BATCH_UNITS;
    this.sql = {
      // IMMEDIATE: the write lock is taken by the first unit, so the COMMIT cannot fail for want of it.
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT group_commit_unit'),
      release: db.prepare('RELEASE group_commit_unit'),
      rollbackTo: db.prepare('ROLLBACK TO group_commit_unit'),
    };
  }

  /** COMMITs made so far (each one an fsync): batches and `now` transactions. */
  get commits(): number {
    return this.commitCount;
  }

  /** Runs `fn` as one unit of the open batch; resolves with its value once the batch is committed. */
  commit<T>(fn: () => T): Promise<T> {
    if (this.scope) return Promise.reject(new TypeError('commit() cannot run inside another unit; write directly instead'));
    let batch: Batch;
    let value: T;
    try {
      batch = this.batch ?? this.begin();
      value = this.unit(batch, fn);
    } catch (error) {
      return Promise.reject(error);
    }
    const done = new Promise<T>((resolve, reject) => batch.waiters.push({ resolve: () => resolve(value), reject }));
    if (batch.units >= this.maxUnits) this.flush();
    return done;
  }

  join<T>(fn: () => T): T {
    if (this.scope) return this.savepoint(fn);
    const batch = this.batch ?? this.begin();
    const value = this.unit(batch, fn);
    if (batch.units >= this.maxUnits) this.flush();
    return value;
  }

  now<T>(fn: () => T): T {
    if (this.scope) return this.savepoint(fn);
    // A callback run by a flush may open a new batch (join); commit until none is open.
    while (this.batch) this.flush();
    this.scope = true;
    let value: T;
    try {
      this.sql.begin.run();
      try {
        value = fn();
        this.sql.commit.run();
      } catch (error) {
        if (this.db.inTransaction) this.sql.rollback.run();
        throw error;
      }
    } catch (error) {
      this.options.onRollback?.();
      this.options.onWriteFailed?.(error);
      throw error;
    } finally {
      this.scope = false;
    }
    this.commitCount += 1;
    this.options.onCommitted?.();
    return value;
  }

  /** Commits the open batch now (also called by its `setImmediate`, by `now`, and before closing). */
  flush(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    clearImmediate(batch.timer);
    try {
      this.sql.commit.run();
    } catch (error) {
      // A failed COMMIT may leave the transaction open (a busy or deferred-constraint error): end it, so that
      // none of the batch is kept and the next unit starts a clean one.
      if (this.db.inTransaction) {
        try {
          this.sql.rollback.run();
        } catch {
          // the connection itself is failing; SQLite rolls back when it is closed or reopened
        }
      }
      this.failed(batch, error);
      return;
    }
    this.commitCount += 1;
    // A batch whose units all failed commits nothing: no proof that the database takes writes.
    if (batch.units > 0) this.options.onCommitted?.();
    for (const waiter of batch.waiters) waiter.resolve();
  }

  private begin(): Batch {
    this.sql.begin.run();
    const batch: Batch = { units: 0, waiters: [] };
    batch.timer = setImmediate(() => {
      if (this.batch === batch) this.flush();
    });
    this.batch = batch;
    return batch;
  }

  /** Runs `fn` in a savepoint of `batch`: only this unit is rolled back if it throws. */
  private unit<T>(batch: Batch, fn: () => T): T {
    this.scope = true;
    try {
      const value = this.savepoint(fn);
      batch.units += 1;
      return value;
    } catch (error) {
      if (this.batch === batch && !this.db.inTransaction) {
        // SQLite rolled the whole transaction back on its own (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM):
        // the other units of the batch are gone too.
        this.batch = undefined;
        clearImmediate(batch.timer);
        this.failed(batch, error);
      } else {
        this.options.onRollback?.();
        this.options.onWriteFailed?.(error);
      }
      throw error;
    } finally {
      this.scope = false;
    }
  }

  private savepoint<T>(fn: () => T): T {
    this.sql.savepoint.run();
    try {
      const value = fn();
      this.sql.release.run();
      return value;
    } catch (error) {
      if (this.db.inTransaction) {
        this.sql.rollbackTo.run();
        this.sql.release.run();
      }
      throw error;
    }
  }

  private failed(batch: Batch, error: unknown): void {
    this.options.onRollback?.();
    this.options.onWriteFailed?.(error);
    for (const waiter of batch.waiters) waiter.reject(error);
  }
}
