import type { Database } from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/**
 * The schema, one step per version. Append a new step for every change; never edit a step that has shipped:
 * databases already at that version would not see the edit.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'history, dedupe keys and deliveries',
    sql: `
      CREATE TABLE history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
        event_type TEXT,
        received_at_ms INTEGER NOT NULL,
        -- the entry without duplicates and processing, as JSON
        entry TEXT NOT NULL,
        duplicates INTEGER NOT NULL DEFAULT 0,
        processing TEXT,
        processing_state TEXT,
        -- the verified bytes, kept only while processing is pending, so handlers can run after a restart
        raw_body BLOB
      );
      CREATE INDEX history_status_seq ON history (status, seq);
      CREATE INDEX history_type_seq ON history (event_type, seq);
      CREATE INDEX history_status_type_seq ON history (status, event_type, seq);
      CREATE INDEX history_received ON history (received_at_ms);
      CREATE INDEX history_pending ON history (seq) WHERE processing_state = 'pending';

      CREATE TABLE dedupe (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        -- 'id:<event id>' or 'sig:<sha256 of the signature>': signature values never reach the disk
        key TEXT NOT NULL UNIQUE,
        event_id TEXT NOT NULL,
        expires_at_ms INTEGER NOT NULL
      );
      CREATE INDEX dedupe_expiry ON dedupe (expires_at_ms);

      CREATE TABLE deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        -- order in which deliveries finished: the oldest finished are evicted first
        finished_seq INTEGER,
        record TEXT NOT NULL,
        body BLOB NOT NULL,
        -- a per-request secret, sealed with AES-256-GCM under a key derived from WEBHOOK_SECRET; null: configured secrets
        secret_sealed BLOB,
        sign_all INTEGER NOT NULL
      );
      CREATE INDEX deliveries_status_seq ON deliveries (status, seq);
      CREATE INDEX deliveries_finished ON deliveries (finished_seq) WHERE finished_seq IS NOT NULL;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the schema up to `SCHEMA_VERSION`, each step in its own transaction with its version row, so a
 * crash mid-migration leaves the database at the previous version. Running it again does nothing.
 * Returns the versions applied. Throws when the database is newer than this code.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS version FROM schema_version').get() as { version: number }).version;
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(`the schema is at version ${current}, newer than this server knows (${latest}); upgrade the server`);
  }
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
  for (const step of migrations) {
    if (step.version <= current) continue;
    db.transaction(() => {
      db.exec(step.sql);
      record.run(step.version, new Date().toISOString());
    }).immediate();
    applied.push(step.version);
  }
  return applied;
}

/** The version the database is at, 0 for a new one. */
export function schemaVersion(db: Database): number {
  return (db.prepare('SELECT COALESCE(MAX(version), 0) AS version FROM schema_version').get() as { version: number }).version;
}
