import { Pool } from 'pg';
import { describePostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { PgBatch } from '../../src/storage/postgres/batch';
import { migrate } from '../../src/storage/postgres/migrations';
import { PgDedupeStore } from '../../src/storage/postgres/dedupe-store';
import { PgHistoryStore } from '../../src/storage/postgres/history-store';
import { ProcessingLeases } from '../../src/storage/postgres/leases';
import { describeDedupeStore } from './dedupe-store';
import { describeHistoryStore } from './history-store';

// The contract suites of stores.test.ts, on a real PostgreSQL server (one per test file; tables emptied
// after each test).
describePostgres('PostgreSQL stores', () => {
  let server: TestPostgres;
  let pool: Pool;
  const batch = (): PgBatch => new PgBatch(pool, { origin: 'contract', channel: 'webhook_history' });
  const empty = async (): Promise<void> => {
    await pool.query('TRUNCATE history, dedupe_keys, processing_jobs');
  };

  beforeAll(async () => {
    server = await startTestPostgres();
    pool = new Pool({ connectionString: await server.createDatabase(), max: 4 });
    await migrate(pool);
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    server?.stop();
  });

  describeHistoryStore(
    'postgres',
    (options) =>
      new PgHistoryStore(pool, batch(), { ...options, dedupeTtlMs: 86_400_000, leases: new ProcessingLeases('contract', 60_000) }),
    empty,
  );
  describeDedupeStore('postgres', (options) => new PgDedupeStore(pool, batch(), options), empty);
});
