import { resolve } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { StorageOpenError } from '../errors';
import { migrate } from './migrations';
import { prepareSqliteFolder } from './folder';

export const MEMORY_PATH = ':memory:';

/**
 * `FULL`: every commit is fsynced before better-sqlite3 returns, so a 200 means the event is on disk and
 * survives a power cut or an OS crash, not only a crash of this process. `NORMAL` (also safe from corruption
 * in WAL mode, and faster) could lose the last commits on a power cut: events the server has already
 * acknowledged, which their senders will not send again. See docs/storage.md.
 */
export const SYNCHRONOUS = 'FULL';

/** WAL pages past which a COMMIT checkpoints; see `openSqliteDatabase`. */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return `the file is not a valid SQLite database (corrupt?): ${message}`;
  if (code === 'SQLITE_CANTOPEN') return `the file cannot be opened (missing folder, not a file, or no permission): ${message}`;
  if (code === 'SQLITE_READONLY' || code === 'EACCES' || code === 'EROFS') return `the file or its folder is not writable: ${message}`;
  return message;
}

/**
 * Opens (or creates) the database: the folder is created if missing, WAL journal, `synchronous=FULL`,
 * an integrity check, then the migrations. Any failure is a `StorageOpenError` naming the path.
 */
export function openSqliteDatabase(path: string): Database {
  const shown = path === MEMORY_PATH ? path : resolve(path);
  let db: Database | undefined;
  try {
    if (path !== MEMORY_PATH) prepareSqliteFolder(shown);
    db = new BetterSqlite3(path);
    // WAL: readers never block the writer, and a commit appends to the log instead of rewriting pages.
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${SYNCHRONOUS}`);
    // Every request's write is a SAVEPOINT inside the batch (group-commit.ts); a savepoint keeps the pages it
    // changes in a sub-journal, which by default is a temp file: a few syscalls per page. In memory, the SQLite
    // work per webhook measured ~75 -> ~43 µs (bench/sqlite-writes.js). Durability is unchanged: a sub-journal
    // only serves ROLLBACK TO within a transaction, never crash recovery (that is the WAL's job).
    db.pragma('temp_store = MEMORY');
    // A checkpoint (copying the WAL's pages into the file, two fsyncs) runs inside the COMMIT that crosses this
    // many WAL pages, on the event loop. 10,000 pages (~40 MB of WAL) instead of the default 1,000: ten times
    // fewer checkpoints, and a page rewritten by many batches is copied once. +7 % webhooks/s with SQLite
    // (bench/sqlite-ab.js, docs/storage.md). Durability is the same: a COMMIT has fsynced the WAL already.
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    // Another process (a backup, the sqlite3 shell) may hold a lock for a moment.
    db.pragma('busy_timeout = 2000');
    // Bounded start-up cost: the database is bounded by HISTORY_LIMIT, DELIVERY_LIMIT and the dedupe limit.
    const check = db.pragma('quick_check(1)', { simple: true });
    if (check !== 'ok') throw Object.assign(new Error(`integrity check failed: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
    migrate(db);
    // Proves the file is writable now rather than at the first webhook.
    db.exec('BEGIN IMMEDIATE; COMMIT;');
    return db;
  } catch (error) {
    try {
      db?.close();
    } catch {
      // already failing; the original error says why
    }
    throw new StorageOpenError(shown, describe(error), { cause: error });
  }
}
