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
  {
    version: 2,
    description: 'fewer pages written per webhook: raw bodies and processing outcomes in side tables, two history indexes fewer, compact dedupe keys',
    sql: `
      -- The pending set is the table below now (the index's name goes to it).
      DROP INDEX history_pending;

      -- The raw body of an event whose processing is pending, one row each: inserted with the event, deleted
      -- when processing ends, so the history row is never rewritten to drop it. A row here = pending.
      CREATE TABLE history_pending (
        seq INTEGER PRIMARY KEY,
        raw_body BLOB NOT NULL
      );
      INSERT INTO history_pending (seq, raw_body)
        SELECT seq, COALESCE(raw_body, x'') FROM history WHERE processing_state = 'pending' ORDER BY seq;

      -- The processing outcome, a small row appended when processing ends; it overrides history.processing
      -- (the state at insert). Rows already processed keep their outcome in history.processing.
      CREATE TABLE history_outcome (
        seq INTEGER PRIMARY KEY,
        processing TEXT NOT NULL
      );

      -- A history row takes its side rows with it (eviction, retention, clear, replacement).
      CREATE TRIGGER history_side_rows AFTER DELETE ON history BEGIN
        DELETE FROM history_pending WHERE seq = OLD.seq;
        DELETE FROM history_outcome WHERE seq = OLD.seq;
      END;

      -- A type-only page reads history_status_type_seq once per status.
      DROP INDEX history_type_seq;
      ALTER TABLE history DROP COLUMN raw_body;
      ALTER TABLE history DROP COLUMN processing_state;

      -- Dedupe keys without AUTOINCREMENT (no sqlite_sequence write per key; rowids still only grow while the
      -- table holds a row) and with a signature's SHA-256 as 33 bytes instead of 68 characters.
      CREATE TABLE dedupe_keys (
        seq INTEGER PRIMARY KEY,
        -- 'id:<event id>' as text, or x'01' || sha256(signature) as a blob: signature values never reach the disk
        key ANY NOT NULL UNIQUE,
        event_id TEXT NOT NULL,
        expires_at_ms INTEGER NOT NULL
      ) STRICT;
      INSERT INTO dedupe_keys (seq, key, event_id, expires_at_ms)
        SELECT seq, CASE WHEN substr(key, 1, 4) = 'sig:' THEN unhex('01' || substr(key, 5)) ELSE key END, event_id, expires_at_ms
        FROM dedupe ORDER BY seq;
      DROP TABLE dedupe;
      CREATE INDEX dedupe_keys_expiry ON dedupe_keys (expires_at_ms);
    `,
  },
  {
    version: 3,
    description: 'history weights for HISTORY_MAX_BYTES, and a row /healthz writes to while writes fail',
    sql: `
      -- entryWeight (src/history/query.ts): body as kept plus headers plus a fixed overhead. Rows from before are
      -- given the length of their stored JSON, which is the same measure near enough.
      ALTER TABLE history ADD COLUMN weight INTEGER NOT NULL DEFAULT 0;
      UPDATE history SET weight = 256 + length(CAST(entry AS BLOB));

      CREATE TABLE storage_probe (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        writes INTEGER NOT NULL
      );
      INSERT INTO storage_probe (id, writes) VALUES (1, 0);
    `,
  },
  {
    version: 4,
    description: 'the delivery outbox: due time, claim token and lease per delivery',
    sql: `
      -- When a pending delivery is due (its record's nextAttemptAt, in ms), so the scheduler takes what is due
      -- with one indexed range read instead of a timer per delivery.
      ALTER TABLE deliveries ADD COLUMN due_ms INTEGER;
      -- The claim of the worker attempting it: its outcome is written only while this token holds, and another
      -- worker may take the delivery over once the lease has passed.
      ALTER TABLE deliveries ADD COLUMN claim_token TEXT;
      ALTER TABLE deliveries ADD COLUMN lease_until_ms INTEGER;
      UPDATE deliveries
        SET due_ms = COALESCE(CAST(ROUND((julianday(json_extract(record, '$.nextAttemptAt')) - 2440587.5) * 86400000) AS INTEGER), 0)
        WHERE status = 'pending';
      CREATE INDEX deliveries_due ON deliveries (due_ms) WHERE status = 'pending';
    `,
  },
  {
    version: 5,
    description: 'settings the server keeps across restarts: the generated WEBHOOK_SECRET (issue 16.6)',
    sql: `
      CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 6,
    description: 'provider mode: endpoints, their secrets, events and the index of their deliveries',
    sql: `
      CREATE TABLE endpoints (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        app_id TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        -- the endpoint without its secrets, as JSON
        endpoint TEXT NOT NULL,
        secret TEXT NOT NULL,
        previous_secret TEXT,
        previous_until_ms INTEGER,
        -- the rate limit's next free slot, ms since the epoch
        next_slot_ms INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX endpoints_app ON endpoints (app_id, seq);

      CREATE TABLE endpoint_events (
        app_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (app_id, event_id)
      );

      CREATE TABLE endpoint_deliveries (
        delivery_id TEXT PRIMARY KEY,
        endpoint_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        settled_ms INTEGER
      );
      CREATE INDEX endpoint_deliveries_created ON endpoint_deliveries (endpoint_id, created_ms);
      CREATE INDEX endpoint_deliveries_settled ON endpoint_deliveries (endpoint_id, settled_ms);
    `,
  },
  {
    version: 7,
    description: "a delivery's extra headers (an endpoint's headers, a replay's Content-Type) kept beside its body",
    sql: `
      -- JSON object of lower-case names; null: none. Before this, a delivery attempted from the outbox (a retry,
      -- a fan-out) went without them.
      ALTER TABLE deliveries ADD COLUMN headers TEXT;
    `,
  },
  {
    version: 8,
    description: 'endpoint recovery jobs and their progress, so a restart resumes a job cut short',
    sql: `
      CREATE TABLE recovery_jobs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('running', 'done')),
        -- the job as JSON (src/endpoints/recovery-store.ts)
        job TEXT NOT NULL,
        -- JSON array of the delivery ids it re-sends, and how many of them it has
        delivery_ids TEXT NOT NULL,
        position INTEGER NOT NULL DEFAULT 0,
        lease_token TEXT NOT NULL,
        lease_until_ms INTEGER NOT NULL
      );
      CREATE INDEX recovery_jobs_running ON recovery_jobs (status, lease_until_ms);
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
