import type { Database } from 'better-sqlite3';
import type { Config } from '../config';
import { MemoryStorage } from './memory/storage';
import { openPostgres } from './postgres/database';
import { PostgresStorage } from './postgres/storage';
import { openSqliteDatabase } from './sqlite/database';
import { SqliteStorage } from './sqlite/storage';
import type { Storage } from './storage';

/**
 * Opens the stores `config.store` names. For SQLite that opens, checks and migrates the database file, and
 * throws `StorageOpenError` (naming the path) when it cannot.
 */
export function createStorage(config: Config, options: { sqlitePath?: string; database?: Database } = {}): Storage {
  if (config.store === 'memory') return new MemoryStorage(config);
  if (config.store === 'postgres') throw new Error('STORE=postgres opens asynchronously: use openStorage(config)');
  // `database`: one already opened with `openSqliteDatabase` (tests add a trigger or a constraint to it).
  return new SqliteStorage(options.database ?? openSqliteDatabase(options.sqlitePath ?? config.sqlitePath), config);
}

/**
 * Opens the stores `config.store` names, whichever the backend: PostgreSQL opens a pool, proves it and
 * migrates (a `PostgresOpenError` naming what failed); the others as `createStorage`. What `server.ts` calls.
 */
export async function openStorage(config: Config): Promise<Storage> {
  if (config.store !== 'postgres') return createStorage(config);
  const pool = await openPostgres(config.databaseUrl, { poolMax: config.pgPoolMax });
  return new PostgresStorage(pool, config, { url: config.databaseUrl });
}
