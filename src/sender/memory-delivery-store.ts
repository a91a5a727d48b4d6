import { pageBefore } from '../paging';
import { FifoMap } from '../collections/fifo-map';
import type { DeliveryContent, DeliveryPage, DeliveryQuery, DeliveryRecord, DeliveryStatus, DeliveryStore } from './delivery-store';

/**
 * Deliveries in memory. At most `limit` finished deliveries are kept (the oldest finished go first);
 * pending ones are never evicted, since that would lose them.
 */
export class MemoryDeliveryStore implements DeliveryStore {
  /** Insertion order is creation order. */
  private readonly records = new Map<string, { seq: number; record: DeliveryRecord; content: DeliveryContent; counted: DeliveryStatus }>();
  /** Finished deliveries, oldest finished first: the ones evicted past `limit`. */
  private readonly finished = new FifoMap<string, true>();
  private seq = 0;
  /** Kept as records are saved, so /healthz and each metrics scrape do not walk every record. */
  private readonly tally: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };

  constructor(private readonly limit: number) {}

  create(record: DeliveryRecord, content: DeliveryContent): void {
    this.seq += 1;
    this.records.set(record.id, { seq: this.seq, record, content, counted: record.status });
    this.tally[record.status] += 1;
    this.save(record);
  }

  content(id: string): DeliveryContent | undefined {
    return this.records.get(id)?.content;
  }

  save(record: DeliveryRecord): void {
    // The sender changes the record in place; the status it had when last saved is what was counted.
    const slot = this.records.get(record.id);
    if (slot && slot.counted !== record.status) {
      this.tally[slot.counted] -= 1;
      this.tally[record.status] += 1;
      slot.counted = record.status;
    }
    if (record.status === 'pending') {
      this.finished.delete(record.id);
      return;
    }
    this.finished.set(record.id, true);
    while (this.finished.size > this.limit) {
      const [id] = this.finished.shift()!;
      const evicted = this.records.get(id);
      if (evicted) this.tally[evicted.counted] -= 1;
      this.records.delete(id);
    }
  }

  get(id: string): DeliveryRecord | undefined {
    return this.records.get(id)?.record;
  }

  list(query: DeliveryQuery): DeliveryPage {
    const before = pageBefore(query.cursor);
    const slots = [...this.records.values()];
    const items: DeliveryRecord[] = [];
    let lastSeq = 0;
    for (let i = slots.length - 1; i >= 0; i -= 1) {
      const slot = slots[i]!;
      if (slot.seq >= before || (query.status !== undefined && slot.record.status !== query.status)) continue;
      if (items.length === query.limit) return { items, nextCursor: String(lastSeq) };
      items.push(slot.record);
      lastSeq = slot.seq;
    }
    return { items, nextCursor: null };
  }

  pending(): DeliveryRecord[] {
    return [...this.records.values()].filter(({ record }) => record.status === 'pending').map(({ record }) => record);
  }

  counts(): Record<DeliveryStatus, number> {
    return { ...this.tally };
  }
}
