import { Pool } from 'pg';
import { describePostgres, startTestPostgres, type TestPostgres } from '../helpers/postgres';
import { PgBatch } from '../../src/storage/postgres/batch';
import { migrate } from '../../src/storage/postgres/migrations';
import { PgDedupeStore } from '../../src/storage/postgres/dedupe-store';
import { PgHistoryStore } from '../../src/storage/postgres/history-store';
import { ProcessingLeases } from '../../src/storage/postgres/leases';
import { PgDeliveryStore } from '../../src/storage/postgres/delivery-store';
import { PgEndpointStore } from '../../src/storage/postgres/endpoint-store';
import { PgRecoveryStore } from '../../src/storage/postgres/recovery-store';
import { describeRecoveryStore } from './recovery-store';
import { describeEndpointStore, endpoint, outboxOf } from './endpoint-store';
import type { EventRecord } from '../../src/endpoints/endpoint-store';
import { describeDedupeStore } from './dedupe-store';
import { deliveryRecord, describeDeliveryStore } from './delivery-store';
import { describeHistoryStore } from './history-store';

// The contract suites of stores.test.ts, on a real PostgreSQL server (one per test file; tables emptied
// after each test).
describePostgres('PostgreSQL stores', () => {
  let server: TestPostgres;
  let pool: Pool;
  const batch = (): PgBatch => new PgBatch(pool, { origin: 'contract', channel: 'webhook_history' });
  const empty = async (): Promise<void> => {
    await pool.query('TRUNCATE history, dedupe_keys, processing_jobs, deliveries, endpoints, endpoint_events, endpoint_deliveries, recovery_jobs');
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
  const deliveries = (owner: string, limit = 100): PgDeliveryStore => new PgDeliveryStore(pool, batch(), { limit, owner, secrets: () => ['configured-secret'] });
  describeDeliveryStore('postgres', ({ limit }) => deliveries('contract', limit), empty, { shared: true });
  describeEndpointStore(
    'postgres',
    () => {
      const shared = batch();
      const outbox = new PgDeliveryStore(pool, shared, { limit: 100, owner: 'contract', secrets: () => ['configured-secret'] });
      return { store: new PgEndpointStore(pool, shared, outbox), deliveries: outbox };
    },
    empty,
  );

  describeRecoveryStore(
    'postgres',
    () => {
      const shared = batch();
      const outbox = new PgDeliveryStore(pool, shared, { limit: 1000, owner: 'contract', secrets: () => ['configured-secret'] });
      return { jobs: new PgRecoveryStore(pool, shared), endpoints: new PgEndpointStore(pool, shared, outbox) };
    },
    empty,
  );

  describe('PostgreSQL outbox shared by two instances', () => {
    afterEach(empty);
    const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

    it('hands each due delivery to one of two instances claiming at once', async () => {
      const a = deliveries('a');
      const b = deliveries('b');
      await Promise.all(Array.from({ length: 300 }, (_, i) => a.create(deliveryRecord(`d${i}`), { body: Buffer.from('{}'), signAll: false })));
      const taken = { a: [] as string[], b: [] as string[] };
      const drain = async (store: PgDeliveryStore, name: 'a' | 'b'): Promise<void> => {
        for (let round = 0; ; round += 1) {
          const claimed = await store.claimDue({ nowMs: T0, limit: 7, token: `${name}${round}`, leaseMarginMs: 30_000 });
          if (claimed.length === 0) return;
          taken[name].push(...claimed.map((c) => c.record.id));
        }
      };
      await Promise.all([drain(a, 'a'), drain(b, 'b'), drain(a, 'a'), drain(b, 'b')]);
      const all = [...taken.a, ...taken.b];
      expect(all).toHaveLength(300);
      expect(new Set(all).size).toBe(300);
      expect(taken.a.length).toBeGreaterThan(0);
      expect(taken.b.length).toBeGreaterThan(0);
    });

    it('lets another instance take over a claim whose lease ran out, and fences the first instance out', async () => {
      const a = deliveries('a');
      const b = deliveries('b');
      await a.create(deliveryRecord('d1', { timeoutMs: 1000 }), { body: Buffer.from('{}'), signAll: false });
      const [first] = await a.claimDue({ nowMs: T0, limit: 1, token: 'a1', leaseMarginMs: 500 });
      expect(await b.claimDue({ nowMs: T0 + 1499, limit: 1, token: 'b1', leaseMarginMs: 500 })).toEqual([]);
      const [second] = await b.claimDue({ nowMs: T0 + 1500, limit: 1, token: 'b1', leaseMarginMs: 500 });
      expect(second!.record.id).toBe('d1');
      expect(await a.complete({ ...first!.record, status: 'delivered', nextAttemptAt: null }, 'a1')).toBe(false);
      const { rows } = await pool.query('SELECT lease_owner, lease_token FROM deliveries WHERE id = $1', ['d1']);
      expect(rows).toEqual([{ lease_owner: 'b', lease_token: 'b1' }]);
      expect(await b.complete({ ...second!.record, status: 'delivered', nextAttemptAt: null }, 'b1')).toBe(true);
    });

    it('writes the outcomes of one turn together, each only under its own token', async () => {
      const a = deliveries('a');
      await Promise.all(Array.from({ length: 40 }, (_, i) => a.create(deliveryRecord(`d${i}`), { body: Buffer.from('{}'), signAll: false })));
      const claimed = await a.claimDue({ nowMs: T0, limit: 40, token: 'mine', leaseMarginMs: 30_000 });
      expect(claimed).toHaveLength(40);
      const written = await Promise.all(
        claimed.map(({ record }, i) =>
          a.complete({ ...record, status: i % 2 === 0 ? 'delivered' : 'failed', nextAttemptAt: null }, i % 4 === 3 ? 'stale' : 'mine'),
        ),
      );
      expect(written).toEqual(claimed.map((_c, i) => i % 4 !== 3));
      expect(await a.counts()).toEqual({ pending: 10, delivered: 20, failed: 10 });
    });

    /** An instance's endpoint store: its own group commit (its own connection and transactions) and outbox. */
    const endpointStore = (owner: string): PgEndpointStore => {
      const own = batch();
      return new PgEndpointStore(pool, own, new PgDeliveryStore(pool, own, { limit: 100, owner, secrets: () => ['configured-secret'] }));
    };

    it('creates the deliveries of an eventId posted to two instances at once exactly once', async () => {
      const a = endpointStore('a');
      const b = endpointStore('b');
      const planned = (i: number, by: string): EventRecord => ({
        appId: 'app',
        eventId: `evt_${i}`,
        eventType: 'invoice.paid',
        createdAt: new Date(T0).toISOString(),
        deliveries: [{ deliveryId: `dlv_${i}_${by}`, endpointId: 'ep_1' }],
      });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => [a.recordEvent(planned(i, 'a'), outboxOf(planned(i, 'a'))), b.recordEvent(planned(i, 'b'), outboxOf(planned(i, 'b')))]).flat(),
      );
      for (let i = 0; i < 20; i += 1) {
        const [fromA, fromB] = [results[2 * i]!, results[2 * i + 1]!];
        expect([fromA.created, fromB.created].filter(Boolean)).toHaveLength(1);
        expect(fromA.event).toEqual(fromB.event);
      }
      const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM deliveries WHERE id LIKE 'dlv_%'");
      expect(rows[0]!.n).toBe(20);
      expect((await pool.query('SELECT count(*)::int AS n FROM endpoint_deliveries')).rows[0].n).toBe(20);
    });

    it("counts every failure of an endpoint when two instances record outcomes at once", async () => {
      const a = endpointStore('a');
      const b = endpointStore('b');
      await a.create(endpoint('ep_1'), 's');
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).recordOutcome('ep_1', { deliveryId: `d${i}`, status: 'failed', atMs: T0 + i })),
      );
      expect(await b.get('ep_1')).toMatchObject({ failuresSinceSuccess: 30, failingSince: expect.any(String) });
      expect(await b.secrets('ep_1')).toEqual({ current: 's', previous: null, previousUntilMs: null });
    });

    it('keeps a per-request secret sealed in the table', async () => {
      const a = deliveries('a');
      await a.create(deliveryRecord('d1'), { body: Buffer.from('{}'), secret: 'per-request-secret', signAll: false });
      const { rows } = await pool.query<{ secret_sealed: Buffer }>('SELECT secret_sealed FROM deliveries');
      expect(rows[0]!.secret_sealed.includes(Buffer.from('per-request-secret'))).toBe(false);
      expect((await deliveries('b').content('d1'))!.secret).toBe('per-request-secret');
    });
  });
});
