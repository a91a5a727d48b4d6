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

/** Who works on a running job, until when (ms since the epoch); past it, another worker may take the job over. */
export interface JobLease {
  readonly token: string;
  readonly leaseUntilMs: number;
}

/** A running job taken over from a worker that stopped renewing its lease, and what it has left to re-send. */
export interface AbandonedJob {
  readonly job: RecoveryJob;
  /** Every delivery the job re-sends, in order. */
  readonly deliveryIds: readonly string[];
  /** How many of them were re-sent (as its last `advance` said): it goes on from there. */
  readonly position: number;
}

/**
 * Recovery jobs and their progress, kept by the backend (SPEC.md section 7): with a database, any instance
 * reports a job's progress, and a job whose worker died (kill -9, a crash) is taken over by another instance
 * or by the next process once its lease has run out. One worker at a time, fenced by its lease's token, as
 * the delivery outbox (src/sender/delivery-store.ts). tests/contract/recovery-store.ts runs against each backend.
 */
export interface RecoveryJobStore {
  /**
   * Stores a new running job, the deliveries it re-sends (in order) and its first lease; forgets the oldest
   * finished jobs past `RECOVERY_JOBS_KEPT`.
   */
  create(job: RecoveryJob, deliveryIds: readonly string[], lease: JobLease): Promise<void>;
  get(id: string): Promise<RecoveryJob | undefined>;
  /**
   * Records a batch: the job as it is now (its counts; `done` with its `finishedAt` after the last batch), the
   * deliveries re-sent so far (`position`) and a renewed lease. Only while `lease.token` holds the job; false,
   * and nothing written, once another worker has taken it over.
   */
  advance(job: RecoveryJob, position: number, lease: JobLease): Promise<boolean>;
  /**
   * Takes over the oldest running job whose lease ended at or before `nowMs`, under `lease`; undefined when
   * there is none. Two workers asking at once never get the same job.
   */
  claimAbandoned(nowMs: number, lease: JobLease): Promise<AbandonedJob | undefined>;
}
