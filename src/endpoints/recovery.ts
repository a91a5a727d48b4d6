import type { Logger } from 'pino';
import type { Now } from '../clock';
import { ConflictError, NotFoundError, storageError } from '../errors';
import type { Sender } from '../sender/sender';
import type { EndpointStore } from './endpoint-store';
import type { JobLease, RecoveryJob, RecoveryJobStore } from './recovery-store';

export type { RecoveryJob } from './recovery-store';

/** Deliveries re-sent per batch; the job yields to the event loop between batches, and records its progress. */
export const RECOVERY_BATCH = 50;
/**
 * How long a job's worker holds it without recording a batch: past it, another instance (or the next process)
 * takes the job over. Much longer than a batch takes (50 writes to the outbox), short enough that a job
 * whose instance was killed goes on within seconds.
 */
export const RECOVERY_LEASE_MS = 15_000;
/** How often an instance looks for jobs whose worker died. */
export const RECOVERY_RESUME_INTERVAL_MS = 5_000;

export interface RecoveryOptions {
  readonly store: EndpointStore;
  /** Where jobs and their progress are kept: the backend's, so that every instance sees them. */
  readonly jobs: RecoveryJobStore;
  readonly sender: Pick<Sender, 'retry'>;
  readonly now: Now;
  readonly newId: (prefix: string) => string;
  readonly logger: Logger;
  /** See `RECOVERY_LEASE_MS`. */
  readonly leaseMs?: number;
}

/**
 * `POST /webhook/endpoints/:id/recover`: every delivery to the endpoint that failed in the window is sent
 * again, in batches, as a job whose progress `GET .../recover/:jobId` shows on any instance. The job and its
 * list of deliveries are stored before the answer; each batch records its progress and renews the worker's
 * lease. A job whose worker died is taken over where its last batch ended (`resumeAbandoned`): a batch cut
 * short by the crash is sent again, so a delivery may be re-sent twice, with the same event id (receivers
 * dedupe on it), and one still pending from the first time counts as skipped.
 */
export class RecoveryJobs {
  private readonly running = new Map<string, Promise<void>>();
  private claims = 0;
  private worker: string | undefined;

  constructor(private readonly options: RecoveryOptions) {}

  private get leaseMs(): number {
    return this.options.leaseMs ?? RECOVERY_LEASE_MS;
  }

  /** A lease from now: renewing `token`'s, or a new one (its token: this worker's id and a counter). */
  private lease(token?: string): JobLease {
    if (token === undefined) {
      this.worker ??= this.options.newId('rcw');
      this.claims += 1;
    }
    return { token: token ?? `${this.worker}:${this.claims}`, leaseUntilMs: this.options.now() + this.leaseMs };
  }

  async start(endpointId: string, sinceMs: number, untilMs: number): Promise<RecoveryJob> {
    const { store, jobs, now, newId } = this.options;
    let failed;
    try {
      const endpoint = await store.get(endpointId);
      if (!endpoint) throw new NotFoundError(`No endpoint with id ${JSON.stringify(endpointId)}.`);
      if (!endpoint.enabled) throw new ConflictError('endpoint.disabled', 'The endpoint is disabled: fix it, enable it (PATCH {"enabled": true}), then recover.');
      failed = await store.deliveries(endpointId, { sinceMs, untilMs, status: 'failed' });
    } catch (error) {
      throw storageError(error);
    }
    const job: RecoveryJob = {
      id: newId('rcv'),
      endpointId,
      since: new Date(sinceMs).toISOString(),
      until: new Date(untilMs).toISOString(),
      status: 'running',
      total: failed.length,
      resent: 0,
      skipped: 0,
      createdAt: new Date(now()).toISOString(),
      finishedAt: null,
    };
    const ids = failed.map((d) => d.deliveryId);
    const lease = this.lease();
    try {
      await jobs.create(job, ids, lease);
    } catch (error) {
      throw storageError(error);
    }
    this.track(job.id, this.run(job, ids, 0, lease.token));
    return job;
  }

  async get(endpointId: string, jobId: string): Promise<RecoveryJob> {
    let job;
    try {
      job = await this.options.jobs.get(jobId);
    } catch (error) {
      throw storageError(error);
    }
    if (!job || job.endpointId !== endpointId) throw new NotFoundError(`No recovery job ${JSON.stringify(jobId)} for this endpoint.`);
    return job;
  }

  /** Resolves once every job running here has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /**
   * Takes over every job whose worker stopped renewing its lease (its instance died) and runs it here from
   * where it stopped. Returns how many were taken.
   */
  async resumeAbandoned(): Promise<number> {
    let taken = 0;
    for (;;) {
      const lease = this.lease();
      const abandoned = await this.options.jobs.claimAbandoned(this.options.now(), lease);
      if (!abandoned) return taken;
      taken += 1;
      const { job, deliveryIds, position } = abandoned;
      this.options.logger.warn({ jobId: job.id, endpointId: job.endpointId, position, total: deliveryIds.length }, 'endpoint recovery resumed: its worker stopped');
      this.track(job.id, this.run(job, deliveryIds, position, lease.token));
    }
  }

  /**
   * Looks for abandoned jobs now and, when `intervalMs` is given, every `intervalMs` (unref'd); returns the stop
   * function. Called by server.ts: only a store shared by several instances can hold a job whose worker died
   * while this process runs; with one process, start-up is the only moment one can be found.
   */
  startResuming(intervalMs?: number): () => void {
    let busy = false;
    const tick = (): void => {
      if (busy) return;
      busy = true;
      this.resumeAbandoned()
        .catch((err: unknown) => this.options.logger.warn({ err }, 'could not look for abandoned recovery jobs; will try again'))
        .finally(() => (busy = false));
    };
    tick();
    if (intervalMs === undefined) return () => undefined;
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private track(id: string, run: Promise<void>): void {
    const settled = run
      .catch((err: unknown) => this.options.logger.error({ err, jobId: id }, 'endpoint recovery stopped; another worker takes it over once its lease ends'))
      .finally(() => this.running.delete(id));
    this.running.set(id, settled);
  }

  /** Re-sends `deliveryIds` from `position` on, a batch at a time, recording each batch under `token`. */
  private async run(job: RecoveryJob, deliveryIds: readonly string[], position: number, token: string): Promise<void> {
    const { sender, logger, now, jobs } = this.options;
    let current = job;
    let next = position;
    do {
      const batch = deliveryIds.slice(next, next + RECOVERY_BATCH);
      const results = await Promise.allSettled(batch.map((id) => sender.retry(id)));
      const resent = results.filter((r) => r.status === 'fulfilled').length;
      next += batch.length;
      current = { ...current, resent: current.resent + resent, skipped: current.skipped + batch.length - resent };
      if (next >= deliveryIds.length) current = { ...current, status: 'done', finishedAt: new Date(now()).toISOString() };
      if (!(await jobs.advance(current, next, this.lease(token)))) {
        logger.warn({ jobId: job.id }, 'endpoint recovery taken over by another worker (lease expired): stopping here');
        return;
      }
      // Let requests in between batches: a large window never holds the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
    } while (next < deliveryIds.length);
    logger.info({ jobId: job.id, endpointId: job.endpointId, total: current.total, resent: current.resent, skipped: current.skipped }, 'endpoint recovery done');
  }
}
