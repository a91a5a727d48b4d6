import pino from 'pino';
import type { EndpointStore, EventRecord } from '../../src/endpoints/endpoint-store';
import { RECOVERY_BATCH, RecoveryJobs } from '../../src/endpoints/recovery';
import { RECOVERY_JOBS_KEPT, type RecoveryJob, type RecoveryJobStore } from '../../src/endpoints/recovery-store';
import { fakeClock } from '../helpers/deps';
import { endpoint, outboxOf } from './endpoint-store';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

const job = (id: string, overrides: Partial<RecoveryJob> = {}): RecoveryJob => ({
  id,
  endpointId: 'ep_1',
  since: new Date(T0 - 3_600_000).toISOString(),
  until: new Date(T0).toISOString(),
  status: 'running',
  total: 3,
  resent: 0,
  skipped: 0,
  createdAt: new Date(T0).toISOString(),
  finishedAt: null,
  ...overrides,
});

export interface RecoveryStores {
  readonly jobs: RecoveryJobStore;
  /** The endpoint store of the same backend (the jobs' service reads the failed deliveries there). */
  readonly endpoints: EndpointStore;
}

/**
 * The recovery job contract, run against every backend, and the takeover of a job whose worker died through
 * the service (`RecoveryJobs`) on that backend. `makeStores` returns fresh, empty stores.
 */
export function describeRecoveryStore(name: string, makeStores: () => RecoveryStores, cleanup: () => void | Promise<void> = () => undefined): void {
  describe(`RecoveryJobStore contract: ${name}`, () => {
    let jobs: RecoveryJobStore;
    let endpoints: EndpointStore;
    beforeEach(() => {
      ({ jobs, endpoints } = makeStores());
    });
    afterEach(cleanup);

    it('keeps a job, and records its progress only under the lease that holds it', async () => {
      await jobs.create(job('rcv_1'), ['d1', 'd2', 'd3'], { token: 'w1', leaseUntilMs: T0 + 1000 });
      expect(await jobs.get('rcv_1')).toEqual(job('rcv_1'));
      expect(await jobs.get('rcv_none')).toBeUndefined();
      expect(await jobs.advance(job('rcv_1', { resent: 2 }), 2, { token: 'w1', leaseUntilMs: T0 + 2000 })).toBe(true);
      expect(await jobs.advance(job('rcv_1', { resent: 3 }), 3, { token: 'other', leaseUntilMs: T0 + 2000 })).toBe(false);
      expect(await jobs.get('rcv_1')).toEqual(job('rcv_1', { resent: 2 }));
    });

    it('hands a running job over once its lease has ended, from where it stopped, and fences the first worker out', async () => {
      await jobs.create(job('rcv_1'), ['d1', 'd2', 'd3'], { token: 'w1', leaseUntilMs: T0 + 1000 });
      await jobs.advance(job('rcv_1', { resent: 1 }), 1, { token: 'w1', leaseUntilMs: T0 + 1000 });
      expect(await jobs.claimAbandoned(T0 + 999, { token: 'w2', leaseUntilMs: T0 + 5000 })).toBeUndefined();
      const [first, second] = await Promise.all([
        jobs.claimAbandoned(T0 + 1000, { token: 'w2', leaseUntilMs: T0 + 5000 }),
        jobs.claimAbandoned(T0 + 1000, { token: 'w3', leaseUntilMs: T0 + 5000 }),
      ]);
      const taken = first ?? second;
      expect([first, second].filter((c) => c !== undefined)).toHaveLength(1);
      expect(taken).toEqual({ job: job('rcv_1', { resent: 1 }), deliveryIds: ['d1', 'd2', 'd3'], position: 1 });
      const winner = first ? 'w2' : 'w3';
      expect(await jobs.advance(job('rcv_1', { resent: 2 }), 2, { token: 'w1', leaseUntilMs: T0 + 9000 })).toBe(false);
      const done = job('rcv_1', { resent: 3, status: 'done', finishedAt: new Date(T0 + 2000).toISOString() });
      expect(await jobs.advance(done, 3, { token: winner, leaseUntilMs: T0 + 9000 })).toBe(true);
      expect(await jobs.get('rcv_1')).toEqual(done);
      // A finished job is nobody's to take.
      expect(await jobs.claimAbandoned(T0 + 100_000, { token: 'w4', leaseUntilMs: T0 + 200_000 })).toBeUndefined();
    });

    it(`forgets the oldest finished jobs past ${RECOVERY_JOBS_KEPT}, never a running one`, async () => {
      const lease = { token: 'w', leaseUntilMs: T0 };
      const finished = Array.from({ length: RECOVERY_JOBS_KEPT }, (_, i) => `rcv_${String(i).padStart(3, '0')}`);
      await jobs.create(job('rcv_running'), [], lease);
      // Created in this order (one turn's writes are applied in the order they were asked for), then all finished.
      await Promise.all(finished.map((id) => jobs.create(job(id), [], lease)));
      await Promise.all(finished.map((id) => jobs.advance(job(id, { status: 'done' }), 0, lease)));
      await jobs.create(job('rcv_last'), [], lease);
      // 102 jobs: the two oldest finished go, the older running one stays.
      expect(await jobs.get(finished[0]!)).toBeUndefined();
      expect(await jobs.get(finished[1]!)).toBeUndefined();
      expect(await jobs.get(finished[2]!)).toMatchObject({ status: 'done' });
      expect(await jobs.get('rcv_running')).toMatchObject({ status: 'running' });
      expect(await jobs.get('rcv_last')).toMatchObject({ status: 'running' });
    });

    it('lets another worker finish a job whose worker died mid-batch, and report its progress meanwhile', async () => {
      const clock = fakeClock(T0);
      const logger = pino({ level: 'silent' });
      await endpoints.create(endpoint('ep_1'), 's');
      const ids = Array.from({ length: 2 * RECOVERY_BATCH + 20 }, (_, i) => `dlv_${String(i).padStart(3, '0')}`);
      await Promise.all(
        ids.map((id, i) => {
          const e: EventRecord = { appId: 'default', eventId: `evt_${i}`, eventType: 'a', createdAt: new Date(T0 + i).toISOString(), deliveries: [{ deliveryId: id, endpointId: 'ep_1' }] };
          return endpoints.recordEvent(e, outboxOf(e));
        }),
      );
      await Promise.all(ids.map((id, i) => endpoints.recordOutcome('ep_1', { deliveryId: id, status: 'failed', atMs: T0 + i })));
      clock.advance(ids.length);
      // The first worker re-sends one batch, then hangs in the second: an instance killed mid-job.
      const byFirst: string[] = [];
      let hang: (() => void) | undefined;
      const hung = new Promise<void>((resolve) => (hang = resolve));
      const first = new RecoveryJobs({ store: endpoints, jobs, now: clock.now, logger, newId: (p) => `${p}_first`, leaseMs: 1000, sender: {
        retry: async (id) => {
          if (byFirst.length >= RECOVERY_BATCH) await hung;
          byFirst.push(id);
          return undefined as never;
        },
      } });
      const bySecond: string[] = [];
      const second = new RecoveryJobs({ store: endpoints, jobs, now: clock.now, logger, newId: (p) => `${p}_second`, leaseMs: 1000, sender: {
        retry: async (id) => {
          bySecond.push(id);
          return undefined as never;
        },
      } });

      const started = await first.start('ep_1', T0, T0 + ids.length);
      expect(started).toMatchObject({ status: 'running', total: ids.length });
      for (let i = 0; i < 1000 && (await second.get('ep_1', started.id)).resent < RECOVERY_BATCH; i += 1) await new Promise((r) => setImmediate(r));
      expect(await second.get('ep_1', started.id)).toMatchObject({ status: 'running', resent: RECOVERY_BATCH });
      expect(await second.resumeAbandoned()).toBe(0); // its lease holds yet
      clock.advance(1000);
      expect(await second.resumeAbandoned()).toBe(1);
      await second.idle();

      expect(await first.get('ep_1', started.id)).toMatchObject({ status: 'done', total: ids.length, resent: ids.length, skipped: 0 });
      expect(bySecond).toEqual(ids.slice(RECOVERY_BATCH));
      // The first worker wakes up: its batch's outcome is refused, the job stays as the second left it.
      hang!();
      await first.idle();
      expect(await second.get('ep_1', started.id)).toMatchObject({ status: 'done', resent: ids.length });
    });
  });
}
