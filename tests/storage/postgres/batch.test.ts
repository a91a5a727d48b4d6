import { Pool } from 'pg';
import { notifyPayloads, PgBatch } from '../../../src/storage/postgres/batch';
import { describePostgres, startTestPostgres, type TestPostgres } from '../../helpers/postgres';

describe('notifyPayloads', () => {
  it('carries the origin and the sequence numbers by kind, split below the NOTIFY size limit', () => {
    expect(notifyPayloads('a', new Map([['r', ['1', '2']], ['u', ['1']]]))).toEqual(['{"o":"a","r":["1","2"],"u":["1"]}']);
    expect(notifyPayloads('a', new Map())).toEqual([]);
    const many = Array.from({ length: 3000 }, (_, i) => String(1_000_000 + i));
    const payloads = notifyPayloads('a', new Map([['r', many]]));
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    expect(payloads.flatMap((p) => (JSON.parse(p) as { r: string[] }).r)).toEqual(many);
  });
});

describePostgres('PgBatch: the group commit on PostgreSQL', () => {
  let server: TestPostgres;
  let pool: Pool;

  beforeAll(async () => {
    server = await startTestPostgres();
    pool = new Pool({ connectionString: await server.createDatabase(), max: 2 });
    await pool.query('CREATE TABLE t (n INTEGER PRIMARY KEY)');
    // A constraint checked at COMMIT only: a batch that inserts 13 (no parent row) commits nothing.
    await pool.query('CREATE TABLE parent (n INTEGER PRIMARY KEY)');
    await pool.query('INSERT INTO parent SELECT n FROM generate_series(1, 100) AS n WHERE n <> 13');
    await pool.query('ALTER TABLE t ADD FOREIGN KEY (n) REFERENCES parent DEFERRABLE INITIALLY DEFERRED');
  }, 60_000);
  afterEach(async () => {
    await pool.query('TRUNCATE t');
  });
  afterAll(async () => {
    await pool?.end();
    server?.stop();
  });

  const rows = async (): Promise<number[]> => (await pool.query<{ n: number }>('SELECT n FROM t ORDER BY n')).rows.map((r) => r.n);
  const insert = (batch: PgBatch, n: number): Promise<number> =>
    batch.commit(async (tx) => {
      await tx.query('INSERT INTO t VALUES ($1)', [n]);
      return n;
    });

  it('commits the units of one turn in one transaction, and rejects a failing unit alone', async () => {
    const batch = new PgBatch(pool, { origin: 'test', channel: 'test' });
    const results = await Promise.allSettled([insert(batch, 1), insert(batch, 1), insert(batch, 2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/duplicate key/);
    expect(await rows()).toEqual([1, 2]);
    expect(batch.commits).toBe(1);
  });

  it('runs the whole batch again after a deadlock, keeping each unit\'s writes once', async () => {
    const batch = new PgBatch(pool, { origin: 'test', channel: 'test' });
    let runs = 0;
    const deadlocked = batch.commit(async (tx) => {
      runs += 1;
      await tx.query('INSERT INTO t VALUES (5)');
      if (runs === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      return 'second run';
    });
    const [a, b] = await Promise.all([insert(batch, 4), deadlocked]);
    expect([a, b, runs]).toEqual([4, 'second run', 2]);
    expect(await rows()).toEqual([4, 5]);
  });

  it('rejects every unit when the COMMIT fails, and keeps none of them', async () => {
    const failures: unknown[] = [];
    const batch = new PgBatch(pool, { origin: 'test', channel: 'test', onWriteFailed: (e) => failures.push(e) });
    const results = await Promise.allSettled([insert(batch, 12), insert(batch, 13), insert(batch, 14)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await rows()).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(batch.commits).toBe(0);
  });
});
