import type { Pool } from 'pg';
import { toWebhookEvent } from '../../history/store';
import type { WebhookEvent } from '../../processing/registry';
import { toEntry, type HistoryRow } from './rows';

/** Margin a processing lease has beyond PROCESSING_TIMEOUT_MS: the outcome's write and a slow turn fit in it. */
export const LEASE_MARGIN_MS = 30_000;

/** Events claimed per statement at most. */
export const CLAIM_BATCH = 100;

/**
 * The processing jobs this instance holds, each under a lease (in the database: owner, token, expiry by the
 * database's clock) and its token (here). The token fences the outcome: `setProcessing` ends the job only
 * under the token it was claimed with, so an instance that stalled past its lease, while another took the
 * job over, records nothing. Leases are renewed while their events wait in this instance's queue or run, so
 * a long queue does not let another instance take a job this one is about to run; a dead instance renews
 * nothing, and its jobs are claimed by another once their leases expire.
 *
 * Claims are single statements (`FOR UPDATE SKIP LOCKED`: instances claiming at once take different jobs,
 * none waits for another); no transaction is open while a handler runs.
 */
export class ProcessingLeases {
  private readonly tokens = new Map<string, string>();

  /**
   * @param owner this instance's id, recorded with each lease (for an operator reading the table).
   * @param leaseMs how long a claim lasts without renewal: longer than the handlers' timeout.
   */
  constructor(
    readonly owner: string,
    readonly leaseMs: number,
  ) {}

  /** Jobs held now. */
  get held(): number {
    return this.tokens.size;
  }

  hold(eventId: string, token: string): void {
    this.tokens.set(eventId, token);
  }

  tokenOf(eventId: string): string | undefined {
    return this.tokens.get(eventId);
  }

  /** Forgets a job (its outcome is recorded), unless it was claimed again under another token since. */
  release(eventId: string, token: string | null): void {
    if (token === null || this.tokens.get(eventId) === token) this.tokens.delete(eventId);
  }

  /**
   * Claims jobs whose lease has expired (or that were never leased), oldest first, and with `includeOwn` the
   * ones this owner id holds (at start-up: none live). Returns their events; their tokens are held here.
   */
  async claim(pool: Pool, options: { includeOwn?: boolean; limit?: number } = {}): Promise<WebhookEvent[]> {
    const { rows } = await pool.query<HistoryRow & { raw_body: Buffer; id: string; lease_token: string }>(
      `UPDATE processing_jobs p
       SET lease_owner = $1, lease_token = gen_random_uuid(), lease_expires_at = clock_timestamp() + $2::float8 * interval '1 millisecond'
       FROM (SELECT history_seq FROM processing_jobs
             WHERE lease_expires_at < clock_timestamp() OR ($3::boolean AND lease_owner = $1)
             ORDER BY history_seq LIMIT $4 FOR UPDATE SKIP LOCKED) c, history h
       WHERE p.history_seq = c.history_seq AND h.seq = p.history_seq
       RETURNING h.seq, h.id, h.entry, h.duplicates, h.processing, h.weight, p.raw_body, p.lease_token`,
      [this.owner, this.leaseMs, options.includeOwn === true, options.limit ?? CLAIM_BATCH],
    );
    rows.sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
    for (const row of rows) this.tokens.set(row.id, row.lease_token);
    return rows.map((row) => toWebhookEvent(toEntry(row), row.raw_body));
  }

  /**
   * Extends every lease held here. A job whose lease was taken over (this instance stalled past it) or whose
   * entry was evicted is no longer renewed; its outcome, if it comes, is not recorded. Returns how many.
   */
  async renew(pool: Pool): Promise<number> {
    if (this.tokens.size === 0) return 0;
    const { rowCount } = await pool.query(
      "UPDATE processing_jobs SET lease_expires_at = clock_timestamp() + $2::float8 * interval '1 millisecond' WHERE lease_token = ANY($1::uuid[])",
      [[...this.tokens.values()], this.leaseMs],
    );
    return rowCount ?? 0;
  }
}
