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
import type { MemoryDeliveryStore } from './delivery-store';

interface Entry {
  readonly seq: number;
  endpoint: Endpoint;
  secrets: EndpointSecrets;
  nextSlotMs: number;
}

/** Endpoints in this process: lost on restart. Same contract as `SqliteEndpointStore`. */
export class MemoryEndpointStore implements EndpointStore {
  /** @param outbox the delivery store `recordEvent` adds an event's deliveries to. */
  constructor(private readonly outbox: MemoryDeliveryStore) {}

  private readonly endpoints = new Map<string, Entry>();
  private readonly events = new Map<string, EventRecord>();
  /** By endpoint id, in creation order. */
  private readonly index = new Map<string, Map<string, EndpointDelivery>>();
  private seq = 0;

  async create(endpoint: Endpoint, secret: string): Promise<void> {
    this.seq += 1;
    this.endpoints.set(endpoint.id, { seq: this.seq, endpoint, secrets: { current: secret, previous: null, previousUntilMs: null }, nextSlotMs: 0 });
  }

  async get(id: string): Promise<Endpoint | undefined> {
    return this.endpoints.get(id)?.endpoint;
  }

  async list(query: EndpointQuery): Promise<EndpointPage> {
    // Oldest first: the cursor is the seq of the previous page's last item, and the next page starts after it.
    const after = pageAfter(query.cursor);
    const matching = [...this.endpoints.values()].filter((e) => e.seq > after && (query.appId === undefined || e.endpoint.appId === query.appId));
    const page = matching.slice(0, query.limit);
    const more = matching.length > query.limit;
    return { items: page.map((e) => e.endpoint), nextCursor: more ? String(page[page.length - 1]!.seq) : null };
  }

  async update(endpoint: Endpoint): Promise<boolean> {
    const entry = this.endpoints.get(endpoint.id);
    if (!entry) return false;
    entry.endpoint = endpoint;
    return true;
  }

  async delete(id: string): Promise<boolean> {
    this.index.delete(id);
    return this.endpoints.delete(id);
  }

  async secrets(id: string): Promise<EndpointSecrets | undefined> {
    return this.endpoints.get(id)?.secrets;
  }

  async rotate(id: string, secret: string, previousUntilMs: number): Promise<boolean> {
    const entry = this.endpoints.get(id);
    if (!entry) return false;
    entry.secrets = { current: secret, previous: entry.secrets.current, previousUntilMs };
    return true;
  }

  async enabledFor(appId: string): Promise<Endpoint[]> {
    return [...this.endpoints.values()].map((e) => e.endpoint).filter((e) => e.enabled && e.appId === appId);
  }

  async recordEvent(event: EventRecord, outbox: readonly NewDelivery[]): Promise<{ created: boolean; event: EventRecord }> {
    const key = JSON.stringify([event.appId, event.eventId]);
    const existing = this.events.get(key);
    if (existing) return { created: false, event: existing };
    // All or nothing, as the databases' transaction: the outbox refuses before writing anything, and nothing
    // below can fail. No await before the event is kept: a concurrent post of the same id finds it.
    this.outbox.insertAll(outbox);
    this.events.set(key, event);
    const createdAtMs = Date.parse(event.createdAt);
    for (const planned of event.deliveries) {
      let deliveries = this.index.get(planned.endpointId);
      if (!deliveries) this.index.set(planned.endpointId, (deliveries = new Map()));
      deliveries.set(planned.deliveryId, { deliveryId: planned.deliveryId, eventId: event.eventId, createdAtMs, status: 'pending', settledAtMs: null });
    }
    return { created: true, event };
  }

  async getEvent(appId: string, eventId: string): Promise<EventRecord | undefined> {
    return this.events.get(JSON.stringify([appId, eventId]));
  }

  async recordOutcome(endpointId: string, outcome: Outcome): Promise<Endpoint | undefined> {
    const entry = this.endpoints.get(endpointId);
    const indexed = this.index.get(endpointId)?.get(outcome.deliveryId);
    if (indexed) this.index.get(endpointId)!.set(outcome.deliveryId, { ...indexed, status: outcome.status, settledAtMs: outcome.atMs });
    if (!entry) return undefined;
    entry.endpoint = applyOutcome(entry.endpoint, outcome);
    return entry.endpoint;
  }

  async reserveSlot(endpointId: string, nowMs: number, intervalMs: number): Promise<number> {
    const entry = this.endpoints.get(endpointId);
    if (!entry) return nowMs;
    const dueMs = Math.max(nowMs, entry.nextSlotMs);
    entry.nextSlotMs = dueMs + intervalMs;
    return dueMs;
  }

  async deliveries(endpointId: string, window: { sinceMs: number; untilMs: number; status?: EndpointDelivery['status'] }): Promise<EndpointDelivery[]> {
    return [...(this.index.get(endpointId)?.values() ?? [])]
      .filter((d) => d.createdAtMs >= window.sinceMs && d.createdAtMs < window.untilMs && (window.status === undefined || d.status === window.status))
      .sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  async outcomeCounts(endpointId: string, sinceMs: number): Promise<{ delivered: number; failed: number }> {
    const counts = { delivered: 0, failed: 0 };
    for (const d of this.index.get(endpointId)?.values() ?? []) {
      if (d.settledAtMs !== null && d.settledAtMs >= sinceMs && d.status !== 'pending') counts[d.status] += 1;
    }
    return counts;
  }
}
