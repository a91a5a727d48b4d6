import type { Database, Statement } from 'better-sqlite3';
import {
  RECOVERY_JOBS_KEPT,
  type AbandonedJob,
  type JobLease,
  type RecoveryJob,
  type RecoveryJobStore,
} from '../../endpoints/recovery-store';
import { directWrites, type Writes } from './group-commit';

interface ClaimRow {
  id: string;
  job: string;
  deliveryIds: string;
  position: number;
}

/**
 * Recovery jobs in SQLite, each write a unit of the group commit. One server uses a file at a time, so a job
 * left running by the previous process (killed mid-job) is nobody's: its lease is ended when the store opens,
 * and the first look for abandoned jobs (at start-up) takes it over. Same contract as the memory store.
 */
export class SqliteRecoveryStore implements RecoveryJobStore {
  private readonly s: Record<'insert' | 'prune' | 'get' | 'advance' | 'abandoned' | 'claim', Statement>;

  constructor(
    db: Database,
    private readonly writes: Writes = directWrites(db),
  ) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO recovery_jobs (id, status, job, delivery_ids, lease_token, lease_until_ms)
         VALUES (@id, 'running', @job, @deliveryIds, @token, @leaseUntilMs)`,
      ),
      prune: db.prepare(
        `DELETE FROM recovery_jobs WHERE status = 'done' AND seq IN (
           SELECT seq FROM recovery_jobs WHERE status = 'done' ORDER BY seq
           LIMIT MAX(0, (SELECT COUNT(*) FROM recovery_jobs) - @kept))`,
      ),
      get: db.prepare('SELECT job FROM recovery_jobs WHERE id = ?').pluck(),
      advance: db.prepare(
        `UPDATE recovery_jobs SET status = @status, job = @job, position = @position, lease_until_ms = @leaseUntilMs
         WHERE id = @id AND lease_token = @token`,
      ),
      abandoned: db.prepare(
        `SELECT id, job, delivery_ids AS deliveryIds, position FROM recovery_jobs
         WHERE status = 'running' AND lease_until_ms <= ? ORDER BY seq LIMIT 1`,
      ),
      claim: db.prepare('UPDATE recovery_jobs SET lease_token = @token, lease_until_ms = @leaseUntilMs WHERE id = @id'),
    };
    this.writes.now(() => db.prepare("UPDATE recovery_jobs SET lease_until_ms = 0 WHERE status = 'running'").run());
  }

  async create(job: RecoveryJob, deliveryIds: readonly string[], lease: JobLease): Promise<void> {
    await this.writes.commit(() => {
      this.s.insert.run({ id: job.id, job: JSON.stringify(job), deliveryIds: JSON.stringify(deliveryIds), ...lease });
      this.s.prune.run({ kept: RECOVERY_JOBS_KEPT });
    });
  }

  async get(id: string): Promise<RecoveryJob | undefined> {
    const json = this.s.get.get(id) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as RecoveryJob);
  }

  async advance(job: RecoveryJob, position: number, lease: JobLease): Promise<boolean> {
    return this.writes.commit(
      () => this.s.advance.run({ id: job.id, status: job.status, job: JSON.stringify(job), position, ...lease }).changes > 0,
    );
  }

  async claimAbandoned(nowMs: number, lease: JobLease): Promise<AbandonedJob | undefined> {
    return this.writes.commit(() => {
      const row = this.s.abandoned.get(nowMs) as ClaimRow | undefined;
      if (!row) return undefined;
      this.s.claim.run({ id: row.id, ...lease });
      return { job: JSON.parse(row.job) as RecoveryJob, deliveryIds: JSON.parse(row.deliveryIds) as string[], position: row.position };
    });
  }
}
