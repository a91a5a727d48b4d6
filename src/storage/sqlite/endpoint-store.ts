import type { Database, Statement } from 'better-sqlite3';
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
import type { SqliteDeliveryStore } from './delivery-store';
import { directWrites, type Writes } from './group-commit';

interface EndpointRow {
  seq: number;
  endpoint: string;
}

interface SecretRow {
  secret: string;
  previousSecret: string | null;
  previousUntilMs: number | null;
}

/**
 * Endpoints in SQLite: each method one transaction of the group commit (a savepoint of the turn's batch), so a
 * fan-out's event, its index rows and its deliveries in the outbox are on disk together or not at all. Secrets are stored as they are: they must sign again after a restart and
 * whatever WEBHOOK_SECRET says then (sealing them under it, as per-request secrets are, would lose them
 * with a generated one). Same contract as `MemoryEndpointStore`.
 */
export class SqliteEndpointStore implements EndpointStore {
  private readonly s: Record<
    | 'insert'
    | 'get'
    | 'pageAll'
    | 'pageApp'
    | 'update'
    | 'delete'
    | 'deleteIndex'
    | 'secrets'
    | 'rotate'
    | 'enabledFor'
    | 'insertEvent'
    | 'getEvent'
    | 'insertIndex'
    | 'settle'
    | 'nextSlot'
    | 'setSlot'
    | 'window'
    | 'counts',
    Statement
  >;

  /** @param outbox the delivery store of the same database: `recordEvent` writes an event's deliveries into it. */
  constructor(
    db: Database,
    private readonly outbox: SqliteDeliveryStore,
    private readonly writes: Writes = directWrites(db),
  ) {
    this.s = {
      insert: db.prepare('INSERT INTO endpoints (id, app_id, enabled, endpoint, secret) VALUES (@id, @appId, @enabled, @endpoint, @secret)'),
      get: db.prepare('SELECT seq, endpoint FROM endpoints WHERE id = ?'),
      pageAll: db.prepare('SELECT seq, endpoint FROM endpoints WHERE seq > @after ORDER BY seq LIMIT @limit'),
      pageApp: db.prepare('SELECT seq, endpoint FROM endpoints WHERE app_id = @appId AND seq > @after ORDER BY seq LIMIT @limit'),
      update: db.prepare('UPDATE endpoints SET app_id = @appId, enabled = @enabled, endpoint = @endpoint WHERE id = @id'),
      delete: db.prepare('DELETE FROM endpoints WHERE id = ?'),
      deleteIndex: db.prepare('DELETE FROM endpoint_deliveries WHERE endpoint_id = ?'),
      secrets: db.prepare('SELECT secret, previous_secret AS previousSecret, previous_until_ms AS previousUntilMs FROM endpoints WHERE id = ?'),
      rotate: db.prepare('UPDATE endpoints SET previous_secret = secret, previous_until_ms = @until, secret = @secret WHERE id = @id'),
      enabledFor: db.prepare('SELECT seq, endpoint FROM endpoints WHERE app_id = ? AND enabled = 1 ORDER BY seq'),
      insertEvent: db.prepare('INSERT INTO endpoint_events (app_id, event_id, event) VALUES (@appId, @eventId, @event) ON CONFLICT DO NOTHING'),
      getEvent: db.prepare('SELECT event FROM endpoint_events WHERE app_id = ? AND event_id = ?').pluck(),
      insertIndex: db.prepare(
        "INSERT OR IGNORE INTO endpoint_deliveries (delivery_id, endpoint_id, event_id, created_ms, status) VALUES (@deliveryId, @endpointId, @eventId, @createdMs, 'pending')",
      ),
      settle: db.prepare('UPDATE endpoint_deliveries SET status = @status, settled_ms = @atMs WHERE delivery_id = @deliveryId AND endpoint_id = @endpointId'),
      nextSlot: db.prepare('SELECT next_slot_ms FROM endpoints WHERE id = ?').pluck(),
      setSlot: db.prepare('UPDATE endpoints SET next_slot_ms = @next WHERE id = @id'),
      window: db.prepare(
        `SELECT delivery_id AS deliveryId, event_id AS eventId, created_ms AS createdAtMs, status, settled_ms AS settledAtMs
         FROM endpoint_deliveries WHERE endpoint_id = @endpointId AND created_ms >= @sinceMs AND created_ms < @untilMs
           AND (@status IS NULL OR status = @status)
         ORDER BY created_ms, delivery_id`,
      ),
      counts: db.prepare(
        `SELECT status, COUNT(*) AS n FROM endpoint_deliveries
         WHERE endpoint_id = @endpointId AND settled_ms >= @sinceMs AND status != 'pending' GROUP BY status`,
      ),
    };
  }

  private static parse(row: EndpointRow | undefined): Endpoint | undefined {
    return row === undefined ? undefined : (JSON.parse(row.endpoint) as Endpoint);
  }

  private static columns(endpoint: Endpoint) {
    return { id: endpoint.id, appId: endpoint.appId, enabled: endpoint.enabled ? 1 : 0, endpoint: JSON.stringify(endpoint) };
  }

  async create(endpoint: Endpoint, secret: string): Promise<void> {
    await this.writes.commit(() => this.s.insert.run({ ...SqliteEndpointStore.columns(endpoint), secret }));
  }

  async get(id: string): Promise<Endpoint | undefined> {
    return SqliteEndpointStore.parse(this.s.get.get(id) as EndpointRow | undefined);
  }

  async list(query: EndpointQuery): Promise<EndpointPage> {
    const params = { after: pageAfter(query.cursor), limit: query.limit + 1, appId: query.appId };
    const rows = (query.appId === undefined ? this.s.pageAll.all(params) : this.s.pageApp.all(params)) as EndpointRow[];
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((row) => SqliteEndpointStore.parse(row)!),
      nextCursor: rows.length > query.limit ? String(page[page.length - 1]!.seq) : null,
    };
  }

  async update(endpoint: Endpoint): Promise<boolean> {
    return this.writes.commit(() => this.s.update.run(SqliteEndpointStore.columns(endpoint)).changes > 0);
  }

  async delete(id: string): Promise<boolean> {
    return this.writes.commit(() => {
      this.s.deleteIndex.run(id);
      return this.s.delete.run(id).changes > 0;
    });
  }

  async secrets(id: string): Promise<EndpointSecrets | undefined> {
    const row = this.s.secrets.get(id) as SecretRow | undefined;
    return row === undefined ? undefined : { current: row.secret, previous: row.previousSecret, previousUntilMs: row.previousUntilMs };
  }

  async rotate(id: string, secret: string, previousUntilMs: number): Promise<boolean> {
    return this.writes.commit(() => this.s.rotate.run({ id, secret, until: previousUntilMs }).changes > 0);
  }

  async enabledFor(appId: string): Promise<Endpoint[]> {
    return (this.s.enabledFor.all(appId) as EndpointRow[]).map((row) => SqliteEndpointStore.parse(row)!);
  }

  async recordEvent(event: EventRecord, outbox: readonly NewDelivery[]): Promise<{ created: boolean; event: EventRecord }> {
    return this.writes.commit(() => {
      // INSERT ... ON CONFLICT DO NOTHING decides who was first in one statement (no check-then-insert race).
      if (this.s.insertEvent.run({ appId: event.appId, eventId: event.eventId, event: JSON.stringify(event) }).changes === 0) {
        return { created: false, event: JSON.parse(this.s.getEvent.get(event.appId, event.eventId) as string) as EventRecord };
      }
      const createdMs = Date.parse(event.createdAt);
      for (const planned of event.deliveries) this.s.insertIndex.run({ ...planned, eventId: event.eventId, createdMs });
      // In the same unit: a delivery that cannot be stored (its id taken) rolls the event back with it.
      for (const { record, content } of outbox) this.outbox.insert(record, content);
      return { created: true, event };
    });
  }

  async getEvent(appId: string, eventId: string): Promise<EventRecord | undefined> {
    const json = this.s.getEvent.get(appId, eventId) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as EventRecord);
  }

  async recordOutcome(endpointId: string, outcome: Outcome): Promise<Endpoint | undefined> {
    return this.writes.commit(() => {
      this.s.settle.run({ endpointId, deliveryId: outcome.deliveryId, status: outcome.status, atMs: outcome.atMs });
      const current = SqliteEndpointStore.parse(this.s.get.get(endpointId) as EndpointRow | undefined);
      if (!current) return undefined;
      const next = applyOutcome(current, outcome);
      this.s.update.run(SqliteEndpointStore.columns(next));
      return next;
    });
  }

  async reserveSlot(endpointId: string, nowMs: number, intervalMs: number): Promise<number> {
    return this.writes.commit(() => {
      const next = this.s.nextSlot.get(endpointId) as number | undefined;
      if (next === undefined) return nowMs;
      const dueMs = Math.max(nowMs, next);
      this.s.setSlot.run({ id: endpointId, next: dueMs + intervalMs });
      return dueMs;
    });
  }

  async deliveries(endpointId: string, window: { sinceMs: number; untilMs: number; status?: EndpointDelivery['status'] }): Promise<EndpointDelivery[]> {
    return this.s.window.all({ endpointId, sinceMs: window.sinceMs, untilMs: window.untilMs, status: window.status ?? null }) as EndpointDelivery[];
  }

  async outcomeCounts(endpointId: string, sinceMs: number): Promise<{ delivered: number; failed: number }> {
    const counts = { delivered: 0, failed: 0 };
    for (const row of this.s.counts.all({ endpointId, sinceMs }) as { status: 'delivered' | 'failed'; n: number }[]) counts[row.status] = row.n;
    return counts;
  }
}
