import type { Database } from 'better-sqlite3';
import type { Config } from '../config';
import { MemoryStorage } from './memory/storage';
import { openSqliteDatabase } from './sqlite/database';
import { SqliteStorage } from './sqlite/storage';
import type { Storage } from './storage';

/**
 * Opens the stores `config.store` names. For SQLite that opens, checks and migrates the database file, and
 * throws `StorageOpenError` (naming the path) when it cannot.
 */
export function createStorage(config: Config, options: { sqlitePath?: string; database?: Database } = {}): Storage {
  if (config.store === 'memory') return new MemoryStorage(config);
  // `database`: one already opened with `openSqliteDatabase` (tests add a trigger or a constraint to it).
  return new SqliteStorage(options.database ?? openSqliteDatabase(options.sqlitePath ?? config.sqlitePath), config);
}
