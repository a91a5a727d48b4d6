import type { Pool } from 'pg';
import type {
  Endpoint,
  EndpointDelivery,
  EndpointPage,
  EndpointQuery,
  EndpointSecrets,
  EndpointStore,
  EventRecord,
  Outcome,
} from '../../endpoints/endpoint-store';
import { applyOutcome } from '../../endpoints/endpoint-store-shared';
import { pageAfter } from '../../paging';
import type { NewDelivery } from '../../sender/envelope';
import type { PgBatch } from './batch';
import type { PgDeliveryStore } from './delivery-store';

/** BIGINT columns come back from node-postgres as strings. */
interface EndpointRow {
  seq: string;
  endpoint: string;
}

interface SecretRow {
  secret: string;
  previous_secret: string | null;
  previous_until_ms: string | null;
}

interface IndexRow {
  delivery_id: string;
  event_id: string;
  created_ms: string;
  status: EndpointDelivery['status'];
  settled_ms: string | null;
}

const parse = (row: EndpointRow | undefined): Endpoint | undefined => (row === undefined ? undefined : (JSON.parse(row.endpoint) as Endpoint));

/** The columns an endpoint is stored in, in the order of the statements below ($1 id, $2 app, $3 enabled, $4 JSON). */
const columns = (endpoint: Endpoint): unknown[] => [endpoint.id, endpoint.appId, endpoint.enabled, JSON.stringify(endpoint)];

/**
 * Endpoints in PostgreSQL, shared by every instance (docs/scaling.md): an endpoint created on one instance
 * signs the deliveries another claims, a rotation or a disabling on one is seen by the next read on all, and
 * a restart loses none. Same contract as the memory and SQLite stores (tests/contract/endpoint-store.ts).
 *
 * Writes are units of the storage's group commit (batch.ts), so each method is one transaction. What two
 * instances may do at the same moment is decided by the database, never by a read before a write:
 * - the same eventId posted to two instances: the `(app_id, event_id)` key lets one INSERT through; the other
 *   waits for its COMMIT, inserts nothing, and reads the winner's event (READ COMMITTED: a new statement sees it);
 * - outcomes of one endpoint recorded by two instances: the endpoint row is locked (`FOR UPDATE`) while its
 *   counters move, so no failure is counted twice or lost;
 * - rate-limit slots: one UPDATE moves `next_slot_ms` and returns the slot taken.
 * Reads go to the pool and see what is committed.
 */
export class PgEndpointStore implements EndpointStore {
  /** @param outbox the delivery store of the same database: `recordEvent` writes an event's deliveries into it. */
  constructor(
    private readonly pool: Pool,
    private readonly batch: PgBatch,
    private readonly outbox: PgDeliveryStore,
  ) {}

  async create(endpoint: Endpoint, secret: string): Promise<void> {
    await this.batch.commit((tx) =>
      tx.query('INSERT INTO endpoints (id, app_id, enabled, endpoint, secret) VALUES ($1, $2, $3, $4, $5)', [...columns(endpoint), secret]),
    );
  }

  async get(id: string): Promise<Endpoint | undefined> {
    const { rows } = await this.pool.query<EndpointRow>('SELECT seq, endpoint FROM endpoints WHERE id = $1', [id]);
    return parse(rows[0]);
  }

  async list(query: EndpointQuery): Promise<EndpointPage> {
    const after = String(pageAfter(query.cursor));
    const { rows } =
      query.appId === undefined
        ? await this.pool.query<EndpointRow>('SELECT seq, endpoint FROM endpoints WHERE seq > $1 ORDER BY seq LIMIT $2', [after, query.limit + 1])
        : await this.pool.query<EndpointRow>('SELECT seq, endpoint FROM endpoints WHERE app_id = $3 AND seq > $1 ORDER BY seq LIMIT $2', [
            after,
            query.limit + 1,
            query.appId,
          ]);
    const page = rows.slice(0, query.limit);
    return { items: page.map((row) => parse(row)!), nextCursor: rows.length > query.limit ? page[page.length - 1]!.seq : null };
  }

  async update(endpoint: Endpoint): Promise<boolean> {
    const { rowCount } = await this.batch.commit((tx) =>
      tx.query('UPDATE endpoints SET app_id = $2, enabled = $3, endpoint = $4 WHERE id = $1', columns(endpoint)),
    );
    return (rowCount ?? 0) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.batch.commit(async (tx) => {
      await tx.query('DELETE FROM endpoint_deliveries WHERE endpoint_id = $1', [id]);
      return tx.query('DELETE FROM endpoints WHERE id = $1', [id]);
    });
    return (rowCount ?? 0) > 0;
  }

  async secrets(id: string): Promise<EndpointSecrets | undefined> {
    const { rows } = await this.pool.query<SecretRow>('SELECT secret, previous_secret, previous_until_ms FROM endpoints WHERE id = $1', [id]);
    const row = rows[0];
    if (!row) return undefined;
    return { current: row.secret, previous: row.previous_secret, previousUntilMs: row.previous_until_ms === null ? null : Number(row.previous_until_ms) };
  }

  async rotate(id: string, secret: string, previousUntilMs: number): Promise<boolean> {
    const { rowCount } = await this.batch.commit((tx) =>
      tx.query('UPDATE endpoints SET previous_secret = secret, previous_until_ms = $3, secret = $2 WHERE id = $1', [id, secret, previousUntilMs]),
    );
    return (rowCount ?? 0) > 0;
  }

  async enabledFor(appId: string): Promise<Endpoint[]> {
    const { rows } = await this.pool.query<EndpointRow>('SELECT seq, endpoint FROM endpoints WHERE app_id = $1 AND enabled ORDER BY seq', [appId]);
    return rows.map((row) => parse(row)!);
  }

  async recordEvent(event: EventRecord, outbox: readonly NewDelivery[]): Promise<{ created: boolean; event: EventRecord }> {
    return this.batch.commit(async (tx) => {
      const inserted = await tx.query('INSERT INTO endpoint_events (app_id, event_id, event) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
        event.appId,
        event.eventId,
        JSON.stringify(event),
      ]);
      if ((inserted.rowCount ?? 0) === 0) {
        const { rows } = await tx.query<{ event: string }>('SELECT event FROM endpoint_events WHERE app_id = $1 AND event_id = $2', [event.appId, event.eventId]);
        return { created: false, event: JSON.parse(rows[0]!.event) as EventRecord };
      }
      if (event.deliveries.length > 0) {
        await tx.query(
          `INSERT INTO endpoint_deliveries (delivery_id, endpoint_id, event_id, created_ms, status)
           SELECT d, e, $3, $4, 'pending' FROM unnest($1::text[], $2::text[]) AS p(d, e) ON CONFLICT DO NOTHING`,
          [event.deliveries.map((d) => d.deliveryId), event.deliveries.map((d) => d.endpointId), event.eventId, Date.parse(event.createdAt)],
        );
      }
      // In the same transaction: a delivery that cannot be stored rolls the event back with it (the batch
      // runs its other units again without this one).
      for (const { record, content } of outbox) await this.outbox.insert(tx, record, content);
      return { created: true, event };
    });
  }

  async getEvent(appId: string, eventId: string): Promise<EventRecord | undefined> {
    const { rows } = await this.pool.query<{ event: string }>('SELECT event FROM endpoint_events WHERE app_id = $1 AND event_id = $2', [appId, eventId]);
    return rows[0] === undefined ? undefined : (JSON.parse(rows[0].event) as EventRecord);
  }

  async recordOutcome(endpointId: string, outcome: Outcome): Promise<Endpoint | undefined> {
    return this.batch.commit(async (tx) => {
      await tx.query('UPDATE endpoint_deliveries SET status = $3, settled_ms = $4 WHERE delivery_id = $2 AND endpoint_id = $1', [
        endpointId,
        outcome.deliveryId,
        outcome.status,
        outcome.atMs,
      ]);
      // Locked until COMMIT: another instance recording an outcome of this endpoint reads the counters after us.
      const { rows } = await tx.query<EndpointRow>('SELECT seq, endpoint FROM endpoints WHERE id = $1 FOR UPDATE', [endpointId]);
      const current = parse(rows[0]);
      if (!current) return undefined;
      const next = applyOutcome(current, outcome);
      await tx.query('UPDATE endpoints SET app_id = $2, enabled = $3, endpoint = $4 WHERE id = $1', columns(next));
      return next;
    });
  }

  async reserveSlot(endpointId: string, nowMs: number, intervalMs: number): Promise<number> {
    // One statement: the row lock orders instances reserving at once, each gets its own slot.
    const { rows } = await this.pool.query<{ due: string }>(
      'UPDATE endpoints SET next_slot_ms = GREATEST($2::bigint, next_slot_ms) + $3::bigint WHERE id = $1 RETURNING next_slot_ms - $3::bigint AS due',
      [endpointId, nowMs, Math.round(intervalMs)],
    );
    return rows[0] === undefined ? nowMs : Number(rows[0].due);
  }

  async deliveries(endpointId: string, window: { sinceMs: number; untilMs: number; status?: EndpointDelivery['status'] }): Promise<EndpointDelivery[]> {
    const { rows } = await this.pool.query<IndexRow>(
      `SELECT delivery_id, event_id, created_ms, status, settled_ms FROM endpoint_deliveries
       WHERE endpoint_id = $1 AND created_ms >= $2 AND created_ms < $3 AND ($4::text IS NULL OR status = $4)
       ORDER BY created_ms, delivery_id`,
      [endpointId, window.sinceMs, window.untilMs, window.status ?? null],
    );
    return rows.map((row) => ({
      deliveryId: row.delivery_id,
      eventId: row.event_id,
      createdAtMs: Number(row.created_ms),
      status: row.status,
      settledAtMs: row.settled_ms === null ? null : Number(row.settled_ms),
    }));
  }

  async outcomeCounts(endpointId: string, sinceMs: number): Promise<{ delivered: number; failed: number }> {
    const counts = { delivered: 0, failed: 0 };
    const { rows } = await this.pool.query<{ status: 'delivered' | 'failed'; n: string }>(
      `SELECT status, COUNT(*) AS n FROM endpoint_deliveries
       WHERE endpoint_id = $1 AND settled_ms >= $2 AND status <> 'pending' GROUP BY status`,
      [endpointId, sinceMs],
    );
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }
}
