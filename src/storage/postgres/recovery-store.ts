import type { Pool } from 'pg';
import {
  RECOVERY_JOBS_KEPT,
  type AbandonedJob,
  type JobLease,
  type RecoveryJob,
  type RecoveryJobStore,
} from '../../endpoints/recovery-store';
import type { PgBatch } from './batch';

/**
 * Recovery jobs in PostgreSQL, shared by every instance: any of them reports a job's progress, and a job whose
 * instance died (its lease not renewed) is taken over by the first instance that looks (`FOR UPDATE SKIP
 * LOCKED`: two looking at once take different jobs). The worker's outcome is written only under its token.
 * Same contract as the memory and SQLite stores.
 */
export class PgRecoveryStore implements RecoveryJobStore {
  constructor(
    private readonly pool: Pool,
    private readonly batch: PgBatch,
  ) {}

  async create(job: RecoveryJob, deliveryIds: readonly string[], lease: JobLease): Promise<void> {
    await this.batch.commit(async (tx) => {
      await tx.query(
        `INSERT INTO recovery_jobs (id, status, job, delivery_ids, lease_token, lease_until_ms) VALUES ($1, 'running', $2, $3, $4, $5)`,
        [job.id, JSON.stringify(job), JSON.stringify(deliveryIds), lease.token, lease.leaseUntilMs],
      );
      await tx.query(
        `DELETE FROM recovery_jobs WHERE seq IN (
           SELECT seq FROM recovery_jobs WHERE status = 'done' ORDER BY seq
           LIMIT GREATEST(0, (SELECT COUNT(*) FROM recovery_jobs) - $1))`,
        [RECOVERY_JOBS_KEPT],
      );
    });
  }

  async get(id: string): Promise<RecoveryJob | undefined> {
    const { rows } = await this.pool.query<{ job: string }>('SELECT job FROM recovery_jobs WHERE id = $1', [id]);
    return rows[0] === undefined ? undefined : (JSON.parse(rows[0].job) as RecoveryJob);
  }

  async advance(job: RecoveryJob, position: number, lease: JobLease): Promise<boolean> {
    const { rowCount } = await this.batch.commit((tx) =>
      tx.query('UPDATE recovery_jobs SET status = $2, job = $3, position = $4, lease_until_ms = $6 WHERE id = $1 AND lease_token = $5', [
        job.id,
        job.status,
        JSON.stringify(job),
        position,
        lease.token,
        lease.leaseUntilMs,
      ]),
    );
    return (rowCount ?? 0) > 0;
  }

  async claimAbandoned(nowMs: number, lease: JobLease): Promise<AbandonedJob | undefined> {
    // One statement, its own transaction: a job another instance is claiming at this moment is skipped.
    const { rows } = await this.pool.query<{ job: string; delivery_ids: string[]; position: number }>(
      `UPDATE recovery_jobs r SET lease_token = $2, lease_until_ms = $3
       FROM (SELECT seq FROM recovery_jobs WHERE status = 'running' AND lease_until_ms <= $1 ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) c
       WHERE r.seq = c.seq
       RETURNING r.job, r.delivery_ids, r.position`,
      [nowMs, lease.token, lease.leaseUntilMs],
    );
    const row = rows[0];
    return row === undefined ? undefined : { job: JSON.parse(row.job) as RecoveryJob, deliveryIds: row.delivery_ids, position: row.position };
  }
}
