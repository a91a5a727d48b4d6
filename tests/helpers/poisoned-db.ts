import type { Database } from 'better-sqlite3';
import { openSqliteDatabase } from '../../src/storage/sqlite/database';

/** History entries of this event type make the COMMIT of their batch fail (a deferred foreign key). */
export const POISON_COMMIT = 'poison.commit';
/** History entries of this event type cannot be written (the insert aborts, like a full disk). */
export const POISON_WRITE = 'poison.write';

/**
 * A real database on `path` that fails on cue, without mocking anything: a trigger makes an insert of a
 * `POISON_WRITE` entry abort, and another leaves a deferred foreign-key violation behind a `POISON_COMMIT`
 * entry, which SQLite only checks at COMMIT, so that COMMIT fails and the whole batch must be rolled back.
 */
export function openPoisonedDatabase(path: string): Database {
  const db = openSqliteDatabase(path);
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE poison_parent (id INTEGER PRIMARY KEY);
    CREATE TABLE poison_child (parent INTEGER REFERENCES poison_parent (id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TRIGGER poison_commit AFTER INSERT ON history WHEN NEW.event_type = '${POISON_COMMIT}'
      BEGIN INSERT INTO poison_child VALUES (1); END;
    CREATE TRIGGER poison_write BEFORE INSERT ON history WHEN NEW.event_type = '${POISON_WRITE}'
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
  `);
  return db;
}
