import { Pool, type PoolConfig } from 'pg';
import { migrate } from './migrations';

/**
 * DATABASE_URL could not be used at start-up: unreachable server, refused login, missing database, a schema
 * from a newer version. Stops start-up with a message naming what failed (never the password).
 */
export class PostgresOpenError extends Error {
  constructor(url: string, reason: string, options: { cause?: unknown } = {}) {
    super(`Cannot use the PostgreSQL database at ${redactUrl(url)} (DATABASE_URL): ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PostgresOpenError';
  }
}

/** The URL as it may be shown: the password replaced by `***`. Not a URL at all: a placeholder. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a valid URL)';
  }
}

/** A connection failure in words a user can act on. Codes: Node's socket errors and PostgreSQL's SQLSTATE. */
export function describePostgresError(error: unknown, url: URL): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const where = `${url.hostname}:${url.port || '5432'}`;
  const user = decodeURIComponent(url.username) || '(default user)';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
  switch (code) {
    case 'ECONNREFUSED':
      return `nothing accepts connections at ${where}: is the server running? (${message})`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host ${url.hostname} does not resolve (${message})`;
    case 'ETIMEDOUT':
      return `the connection to ${where} timed out`;
    case '28P01':
    case '28000':
      return `the server refused the login of user ${user} (wrong password, or no pg_hba.conf entry)`;
    case '3D000':
      return `the database ${database} does not exist on ${where} (create it: createdb ${database})`;
    default:
      return message;
  }
}

export interface OpenPostgresOptions {
  /** Connections in the pool (`PG_POOL_MAX`). */
  readonly poolMax: number;
  /** How long a new connection may take, in ms. */
  readonly connectTimeoutMs?: number;
}

/**
 * Opens a pool on `url`, proves it with one connection, and brings the schema up to date (under an advisory
 * lock: instances starting together apply each migration once). Any failure is a `PostgresOpenError`.
 */
export async function openPostgres(url: string, options: OpenPostgresOptions): Promise<Pool> {
  let parsed: URL;
  try {
    parsed = new URL(url);
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') throw new Error('protocol');
  } catch {
    throw new PostgresOpenError(url, 'not a postgres:// or postgresql:// URL');
  }
  const config: PoolConfig = {
    connectionString: url,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    // An idle connection the server or a proxy dropped is discarded, not handed to a request.
    idleTimeoutMillis: 30_000,
  };
  const pool = new Pool(config);
  // A connection that dies while idle in the pool (server restart) emits here; without a listener the process
  // would crash. The next query opens a new one.
  pool.on('error', () => undefined);
  // The same for a connection that dies while checked out between two queries (a batch, the maintenance job):
  // the query in flight, or the next one, fails and says so; the 'error' event itself must not crash.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof PostgresOpenError) throw error;
    throw new PostgresOpenError(url, describePostgresError(error, parsed), { cause: error });
  }
  return pool;
}
