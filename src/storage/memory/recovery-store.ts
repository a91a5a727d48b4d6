import {
  RECOVERY_JOBS_KEPT,
  type AbandonedJob,
  type JobLease,
  type RecoveryJob,
  type RecoveryJobStore,
} from '../../endpoints/recovery-store';

interface Entry {
  job: RecoveryJob;
  readonly deliveryIds: readonly string[];
  position: number;
  lease: JobLease;
}

/**
 * Recovery jobs in this process: lost on restart (so is the process that ran them; the deliveries they re-sent
 * are in the outbox). Same contract as the SQLite and PostgreSQL stores.
 */
export class MemoryRecoveryStore implements RecoveryJobStore {
  /** Insertion order is creation order. */
  private readonly jobs = new Map<string, Entry>();

  async create(job: RecoveryJob, deliveryIds: readonly string[], lease: JobLease): Promise<void> {
    this.jobs.set(job.id, { job, deliveryIds: [...deliveryIds], position: 0, lease });
    for (const [id, entry] of this.jobs) {
      if (this.jobs.size <= RECOVERY_JOBS_KEPT) break;
      if (entry.job.status === 'done') this.jobs.delete(id);
    }
  }

  async get(id: string): Promise<RecoveryJob | undefined> {
    return this.jobs.get(id)?.job;
  }

  async advance(job: RecoveryJob, position: number, lease: JobLease): Promise<boolean> {
    const entry = this.jobs.get(job.id);
    if (!entry || entry.lease.token !== lease.token) return false;
    Object.assign(entry, { job, position, lease });
    return true;
  }

  async claimAbandoned(nowMs: number, lease: JobLease): Promise<AbandonedJob | undefined> {
    for (const entry of this.jobs.values()) {
      if (entry.job.status !== 'running' || entry.lease.leaseUntilMs > nowMs) continue;
      entry.lease = lease;
      return { job: entry.job, deliveryIds: entry.deliveryIds, position: entry.position };
    }
    return undefined;
  }
}
