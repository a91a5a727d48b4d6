import type { Logger } from 'pino';
import type { Now } from '../clock';
import { ConflictError, NotFoundError, storageError } from '../errors';
import type { Sender } from '../sender/sender';
import type { EndpointStore } from './endpoint-store';

/** Deliveries re-sent per batch; the job yields to the event loop between batches. */
export const RECOVERY_BATCH = 50;
/** Jobs remembered at most; the oldest finished ones are forgotten first. */
export const RECOVERY_JOBS_KEPT = 100;

export interface RecoveryJob {
  readonly id: string;
  readonly endpointId: string;
  /** ISO 8601: the window of delivery creation times, `until` excluded. */
  readonly since: string;
  readonly until: string;
  readonly status: 'running' | 'done';
  /** Failed deliveries found in the window. */
  readonly total: number;
  /** Re-sent so far (a new series of attempts, same event id). */
  readonly resent: number;
  /** Could not be re-sent: gone from the delivery store, pending again meanwhile, ... */
  readonly skipped: number;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

export interface RecoveryOptions {
  readonly store: EndpointStore;
  readonly sender: Pick<Sender, 'retry'>;
  readonly now: Now;
  readonly newId: (prefix: string) => string;
  readonly logger: Logger;
}

/**
 * `POST /webhook/endpoints/:id/recover`: every delivery to the endpoint that failed in the window is sent
 * again, in batches, as a job whose progress `GET .../recover/:jobId` shows. Jobs live in this process (a
 * restart forgets them; the deliveries they re-sent are in the outbox and go on).
 */
export class RecoveryJobs {
  private readonly jobs = new Map<string, RecoveryJob>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly options: RecoveryOptions) {}

  async start(endpointId: string, sinceMs: number, untilMs: number): Promise<RecoveryJob> {
    const { store, now, newId } = this.options;
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
    this.jobs.set(job.id, job);
    for (const [id, old] of this.jobs) {
      if (this.jobs.size <= RECOVERY_JOBS_KEPT) break;
      if (old.status === 'done') this.jobs.delete(id);
    }
    const ids = failed.map((d) => d.deliveryId);
    this.running.set(job.id, this.run(job.id, ids).finally(() => this.running.delete(job.id)));
    return job;
  }

  get(endpointId: string, jobId: string): RecoveryJob {
    const job = this.jobs.get(jobId);
    if (!job || job.endpointId !== endpointId) throw new NotFoundError(`No recovery job ${JSON.stringify(jobId)} for this endpoint.`);
    return job;
  }

  /** Resolves once every running job has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private update(id: string, change: Partial<RecoveryJob>): void {
    this.jobs.set(id, { ...this.jobs.get(id)!, ...change });
  }

  private async run(jobId: string, deliveryIds: readonly string[]): Promise<void> {
    const { sender, logger, now } = this.options;
    for (let start = 0; start < deliveryIds.length; start += RECOVERY_BATCH) {
      const batch = deliveryIds.slice(start, start + RECOVERY_BATCH);
      const results = await Promise.allSettled(batch.map((id) => sender.retry(id)));
      const resent = results.filter((r) => r.status === 'fulfilled').length;
      const job = this.jobs.get(jobId)!;
      this.update(jobId, { resent: job.resent + resent, skipped: job.skipped + batch.length - resent });
      // Let requests in between batches: a large window never holds the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.update(jobId, { status: 'done', finishedAt: new Date(now()).toISOString() });
    const job = this.jobs.get(jobId)!;
    logger.info({ jobId, endpointId: job.endpointId, total: job.total, resent: job.resent, skipped: job.skipped }, 'endpoint recovery done');
  }
}
