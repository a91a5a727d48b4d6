import type { Pool } from 'pg';

export interface PostgresMigration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/**
 * The key of the advisory lock held while migrating (any constant the application owns): instances starting
 * together queue on it, and each step is applied exactly once.
 */
export const MIGRATION_LOCK_KEY = 0x77_65_62_68; // "webh" in ASCII

/**
 * The schema, one step per version. Append a step for every change; never edit a step that has shipped.
 * Version 1 mirrors the SQLite schema (src/storage/migrations.ts) with the columns the shared outbox needs:
 * a due time per delivery and per processing job, and a lease (owner, token, expiry) so one instance at a time
 * works on each, fenced by its token.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'history, dedupe keys, processing jobs with leases, deliveries, settings, storage probe',
    sql: `
      CREATE TABLE history (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
        event_type TEXT,
        received_at TIMESTAMPTZ NOT NULL,
        -- the entry without duplicates and processing, as JSON text: jsonb would reorder the payload's keys
        entry TEXT NOT NULL,
        duplicates INTEGER NOT NULL DEFAULT 0,
        processing JSONB,
        -- entryWeight (src/history/query.ts): for HISTORY_MAX_BYTES and the page budget
        weight INTEGER NOT NULL
      );
      CREATE INDEX history_status_seq ON history (status, seq);
      CREATE INDEX history_status_type_seq ON history (status, event_type, seq);
      CREATE INDEX history_received ON history (received_at);

      CREATE TABLE dedupe_keys (
        -- a replay key: an id as its UTF-8 bytes, a signature as a tag byte and its SHA-256
        key BYTEA PRIMARY KEY,
        event_id TEXT NOT NULL,
        -- the clock of the instance that remembered it (the same clock the receive path checks against)
        expires_at_ms BIGINT NOT NULL
      );
      CREATE INDEX dedupe_keys_expiry ON dedupe_keys (expires_at_ms);

      -- An accepted event whose handlers have not finished; deleted (with its raw body) when they have. One
      -- instance at a time holds it, until lease_expires_at (the database's clock); lease_token fences the
      -- outcome, so an instance that lost its lease cannot record over the one that took it.
      CREATE TABLE processing_jobs (
        history_seq BIGINT PRIMARY KEY REFERENCES history (seq) ON DELETE CASCADE,
        raw_body BYTEA NOT NULL,
        lease_owner TEXT,
        lease_token UUID,
        lease_expires_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity'
      );
      CREATE INDEX processing_jobs_lease ON processing_jobs (lease_expires_at);

      -- One row /healthz writes to while writes fail, to tell when they succeed again.
      CREATE TABLE storage_probe (id INTEGER PRIMARY KEY CHECK (id = 1), writes BIGINT NOT NULL);
      INSERT INTO storage_probe VALUES (1, 0);

      -- The outbox (src/storage/postgres/delivery-store.ts): a delivery waiting for an attempt is this row and
      -- its due time, in no instance's memory. Times are ms since the epoch by the clock of the instance that
      -- wrote them (the delivery loop's clock, which tests inject); the lease margin absorbs clock skew.
      CREATE TABLE deliveries (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        -- the record as JSON text (src/sender/delivery-store.ts)
        record TEXT NOT NULL,
        body BYTEA NOT NULL,
        -- a per-request secret sealed with AES-256-GCM (src/storage/seal.ts); null: the configured secrets
        secret_sealed BYTEA,
        sign_all BOOLEAN NOT NULL,
        -- the attempt's timeout: a claim's lease lasts this plus a margin
        timeout_ms INTEGER NOT NULL,
        -- the next attempt, while pending
        due_ms BIGINT,
        -- the claim of the instance attempting it: its id, the token that fences the outcome, the lease's end
        lease_owner TEXT,
        lease_token TEXT,
        lease_until_ms BIGINT,
        -- order of finishing: the oldest finished are evicted past DELIVERY_LIMIT
        finished_seq BIGINT
      );
      CREATE SEQUENCE deliveries_finished_seq;
      CREATE INDEX deliveries_due ON deliveries (due_ms, seq) WHERE status = 'pending';
      CREATE INDEX deliveries_status_seq ON deliveries (status, seq);
      CREATE INDEX deliveries_finished ON deliveries (finished_seq) WHERE finished_seq IS NOT NULL;

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: "provider mode shared by every instance: endpoints, their secrets, events, their deliveries' index, recovery jobs; a delivery's extra headers",
    sql: `
      -- As SQLite's version 6 (src/storage/sqlite/migrations.ts). Secrets are stored as they are: every instance
      -- must sign with them, whatever its WEBHOOK_SECRET (see src/storage/sqlite/endpoint-store.ts).
      CREATE TABLE endpoints (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        app_id TEXT NOT NULL,
        enabled BOOLEAN NOT NULL,
        -- the endpoint without its secrets, as JSON text (jsonb would reorder its metadata's keys)
        endpoint TEXT NOT NULL,
        secret TEXT NOT NULL,
        previous_secret TEXT,
        previous_until_ms BIGINT,
        -- the rate limit's next free slot, ms since the epoch (one UPDATE reserves it: no two instances share one)
        next_slot_ms BIGINT NOT NULL DEFAULT 0
      );
      CREATE INDEX endpoints_app ON endpoints (app_id, seq);

      -- The unique key decides which of two instances posting the same eventId at once creates the deliveries.
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
        created_ms BIGINT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        settled_ms BIGINT
      );
      CREATE INDEX endpoint_deliveries_created ON endpoint_deliveries (endpoint_id, created_ms);
      CREATE INDEX endpoint_deliveries_settled ON endpoint_deliveries (endpoint_id, settled_ms);

      -- JSON object of lower-case names; null: none (an endpoint's headers, a replay's Content-Type).
      ALTER TABLE deliveries ADD COLUMN headers TEXT;

      -- Endpoint recovery jobs (src/endpoints/recovery-store.ts): any instance reports a job's progress, and a
      -- job whose instance died is taken over once its lease (the worker's clock, ms) has ended.
      CREATE TABLE recovery_jobs (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('running', 'done')),
        job TEXT NOT NULL,
        delivery_ids JSONB NOT NULL,
        position INTEGER NOT NULL DEFAULT 0,
        lease_token TEXT NOT NULL,
        lease_until_ms BIGINT NOT NULL
      );
      CREATE INDEX recovery_jobs_running ON recovery_jobs (lease_until_ms) WHERE status = 'running';
    `,
  },
];

export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS[POSTGRES_MIGRATIONS.length - 1]!.version;

/**
 * Brings the schema up to date in one transaction that first takes the advisory lock: a second instance
 * starting at the same moment waits for the first to commit, then finds nothing left to do. DDL is
 * transactional in PostgreSQL, so a failed step leaves the database at the version it had. Returns the
 * versions applied; throws when the database is newer than this code.
 */
export async function migrate(pool: Pool, migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    const { rows } = await client.query<{ version: number }>('SELECT COALESCE(MAX(version), 0)::int AS version FROM schema_migrations');
    const current = rows[0]!.version;
    const latest = migrations[migrations.length - 1]?.version ?? 0;
    if (current > latest) {
      throw new Error(`the schema is at version ${current}, newer than this server knows (${latest}); upgrade the server`);
    }
    const applied: number[] = [];
    for (const step of migrations) {
      if (step.version <= current) continue;
      await client.query(step.sql);
      await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [step.version, step.description]);
      applied.push(step.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
