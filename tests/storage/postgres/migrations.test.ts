import { Pool } from 'pg';
import { freePort } from '../../helpers/net';
import { describePostgres, startTestPostgres, type TestPostgres } from '../../helpers/postgres';
import { openPostgres, PostgresOpenError, redactUrl } from '../../../src/storage/postgres/database';
import { migrate, POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from '../../../src/storage/postgres/migrations';

describePostgres('PostgreSQL migrations and opening', () => {
  let server: TestPostgres;
  const pools: Pool[] = [];
  const pool = (url: string): Pool => {
    const p = new Pool({ connectionString: url, max: 2 });
    pools.push(p);
    return p;
  };

  beforeAll(async () => {
    server = await startTestPostgres();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.end()));
  });
  afterAll(() => server?.stop());

  it('applies every step to a new database, and nothing the second time', async () => {
    const db = pool(await server.createDatabase());
    expect(await migrate(db)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    expect(await migrate(db)).toEqual([]);
    const { rows } = await db.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    const tables = await db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(tables.rows.map((r) => r.tablename).sort()).toEqual([
      'dedupe_keys',
      'deliveries',
      'endpoint_deliveries',
      'endpoint_events',
      'endpoints',
      'history',
      'processing_jobs',
      'recovery_jobs',
      'schema_migrations',
      'settings',
      'storage_probe',
    ]);
  });

  it('applies each step once when five instances start together', async () => {
    const url = await server.createDatabase();
    const results = await Promise.all(Array.from({ length: 5 }, () => migrate(pool(url))));
    expect(results.filter((applied) => applied.length > 0)).toEqual([POSTGRES_MIGRATIONS.map((m) => m.version)]);
    const { rows } = await pool(url).query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0].n).toBe(POSTGRES_MIGRATIONS.length);
  });

  it('leaves the database as it was when a step fails', async () => {
    const db = pool(await server.createDatabase());
    const broken = [...POSTGRES_MIGRATIONS, { version: 99, description: 'broken', sql: 'CREATE TABLE history (x int)' }];
    await expect(migrate(db, broken)).rejects.toThrow(/already exists/);
    const { rows } = await db.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
    expect(rows[0].n).toBe(0);
    expect(await migrate(db)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
  });

  it('refuses a database whose schema is newer than this server', async () => {
    const url = await server.createDatabase();
    const db = pool(url);
    await migrate(db, [...POSTGRES_MIGRATIONS, { version: POSTGRES_SCHEMA_VERSION + 1, description: 'future', sql: 'SELECT 1' }]);
    await expect(openPostgres(url, { poolMax: 2 })).rejects.toThrow(/newer than this server knows/);
  });

  it('opens, migrates and answers queries', async () => {
    const opened = await openPostgres(await server.createDatabase(), { poolMax: 3 });
    pools.push(opened);
    const { rows } = await opened.query('SELECT count(*)::int AS n FROM history');
    expect(rows[0].n).toBe(0);
  });

  it('names a database that does not exist', async () => {
    const url = new URL(server.url);
    url.pathname = '/no_such_database';
    const error = await openPostgres(url.toString(), { poolMax: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresOpenError);
    expect((error as Error).message).toMatch(/database no_such_database does not exist/);
  });

  it('says when nothing listens at the address, without showing the password', async () => {
    const port = await freePort();
    const error = await openPostgres(`postgres://app:hunter2-secret@127.0.0.1:${port}/webhooks`, { poolMax: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresOpenError);
    expect((error as Error).message).toMatch(/nothing accepts connections at 127\.0\.0\.1:\d+/);
    expect((error as Error).message).not.toContain('hunter2-secret');
    expect((error as Error).message).toContain('app:***@');
  });

  it('refuses a URL that is not a postgres URL', async () => {
    await expect(openPostgres('mysql://localhost/db', { poolMax: 1 })).rejects.toThrow(/not a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(redactUrl('nonsense')).toBe('(not a valid URL)');
  });
});
