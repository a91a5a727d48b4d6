import { pageBefore } from '../../paging';
import { FifoMap } from '../../collections/fifo-map';
import { MinHeap } from '../../collections/min-heap';
import {
  dueMs,
  interruptedError,
  type ClaimOptions,
  type ClaimedDelivery,
  type DeliveryContent,
  type DeliveryPage,
  type DeliveryQuery,
  type DeliveryRecord,
  type DeliveryStatus,
  type DeliveryStore,
  type Lease,
} from '../../sender/delivery-store';

interface Slot {
  readonly id: string;
  readonly seq: number;
  /**
   * The record, or its JSON while it waits for a retry: a record with one attempt costs about 1.4 KB of heap as
   * the sender builds it (its strings are ropes), 0.5 KB as flat JSON, and a waiting record is read only when it
   * comes due or is listed (bench/pending-memory.js: 100,000 waiting deliveries).
   */
  stored: DeliveryRecord | string;
  readonly content: DeliveryContent;
  /** The status this slot is counted under in the tally. */
  counted: DeliveryStatus;
  /** When it is due, while pending and not claimed; its entry in the due heap has this key. */
  dueMs: number | null;
  lease: Lease | null;
}

/**
 * A record as one flat string. `JSON.stringify` returns a rope (several strings joined, about 0.7 KB here);
 * the round trip through bytes flattens it (0.5 KB), for about 6 µs per delivery that waits.
 */
const compact = (record: DeliveryRecord): string => Buffer.from(JSON.stringify(record)).toString();

const recordOf = (slot: Slot): DeliveryRecord => (typeof slot.stored === 'string' ? (JSON.parse(slot.stored) as DeliveryRecord) : slot.stored);

/**
 * Deliveries in memory, and their outbox: a heap of due times, so taking what is due costs O(log n) and a
 * delivery waiting for a retry is its record (as JSON) and its body, nothing else: no timer, no closure. At most
 * `limit` finished deliveries are kept (the oldest finished go first); pending ones are never evicted, since that
 * would lose them. Records are immutable, so the store keeps the objects it is given.
 */
export class MemoryDeliveryStore implements DeliveryStore {
  /** Insertion order is creation order. */
  private readonly records = new Map<string, Slot>();
  /** Finished deliveries, oldest finished first: the ones evicted past `limit`. */
  private readonly finished = new FifoMap<string, true>();
  /**
   * Pending, unclaimed slots by due time. An entry whose key no longer matches its slot's `dueMs` (claimed,
   * finished, rescheduled) is stale and skipped when it reaches the top.
   */
  private readonly due = new MinHeap<Slot>();
  /** Claimed slots by the end of their lease: one whose lease ran out may be claimed again. Stale entries are skipped. */
  private leases = new MinHeap<Slot>();
  private claimed = 0;
  private seq = 0;
  /** Kept as records are saved, so /healthz and each metrics scrape do not walk every record. */
  private readonly tally: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };

  constructor(private readonly limit: number) {}

  async create(record: DeliveryRecord, content: DeliveryContent, lease?: Lease): Promise<void> {
    this.insert(record, content, lease);
  }

  /**
   * Stores new deliveries, all or none (an endpoint store's `recordEvent` writes an event's deliveries with
   * it): an id already stored or given twice throws before anything is written, as the databases' unique key
   * would roll their transaction back. Synchronous, so nothing runs between the check and the writes.
   */
  insertAll(items: readonly { readonly record: DeliveryRecord; readonly content: DeliveryContent }[]): void {
    const ids = new Set<string>();
    for (const { record } of items) {
      if (this.records.has(record.id) || ids.has(record.id)) throw new Error(`a delivery with id ${JSON.stringify(record.id)} exists already`);
      ids.add(record.id);
    }
    for (const { record, content } of items) this.insert(record, content);
  }

  private insert(record: DeliveryRecord, content: DeliveryContent, lease?: Lease): void {
    this.seq += 1;
    const slot: Slot = { id: record.id, seq: this.seq, stored: record, content, counted: record.status, dueMs: null, lease: null };
    this.records.set(record.id, slot);
    this.tally[record.status] += 1;
    if (lease) this.lease(slot, lease);
    this.place(slot, record);
  }

  async content(id: string): Promise<DeliveryContent | undefined> {
    return this.records.get(id)?.content;
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const slot = this.records.get(id);
    return slot && recordOf(slot);
  }

  async list(query: DeliveryQuery): Promise<DeliveryPage> {
    const before = pageBefore(query.cursor);
    const slots = [...this.records.values()];
    const items: DeliveryRecord[] = [];
    let lastSeq = 0;
    for (let i = slots.length - 1; i >= 0; i -= 1) {
      const slot = slots[i]!;
      if (slot.seq >= before || (query.status !== undefined && slot.counted !== query.status)) continue;
      if (items.length === query.limit) return { items, nextCursor: String(lastSeq) };
      items.push(recordOf(slot));
      lastSeq = slot.seq;
    }
    return { items, nextCursor: null };
  }

  async counts(): Promise<Record<DeliveryStatus, number>> {
    return { ...this.tally };
  }

  async save(record: DeliveryRecord): Promise<boolean> {
    const slot = this.records.get(record.id);
    if (!slot || slot.lease !== null) return false;
    this.place(slot, record);
    return true;
  }

  async claimDue({ nowMs, limit, token, leaseMarginMs }: ClaimOptions): Promise<ClaimedDelivery[]> {
    const claimed: ClaimedDelivery[] = [];
    const take = (slot: Slot): void => {
      const record = recordOf(slot);
      slot.stored = record;
      slot.dueMs = null;
      this.lease(slot, { token, leaseUntilMs: nowMs + record.timeoutMs + leaseMarginMs });
      claimed.push({ record, content: slot.content });
    };
    // Leases that ran out first (their worker is gone or stuck), then what is due.
    while (claimed.length < limit && (this.leases.peekKey() ?? Infinity) <= nowMs) {
      const key = this.leases.peekKey()!;
      const slot = this.leases.pop()!;
      if (slot.lease?.leaseUntilMs === key && this.records.get(slot.id) === slot) {
        this.release(slot);
        take(slot);
      }
    }
    while (claimed.length < limit && (this.due.peekKey() ?? Infinity) <= nowMs) {
      const key = this.due.peekKey()!;
      const slot = this.due.pop()!;
      if (slot.dueMs === key && slot.lease === null && this.records.get(slot.id) === slot) take(slot);
    }
    return claimed;
  }

  async complete(record: DeliveryRecord, token: string): Promise<boolean> {
    const slot = this.records.get(record.id);
    if (!slot || slot.lease?.token !== token) return false;
    this.release(slot);
    this.place(slot, record);
    return true;
  }

  async nextDueMs(): Promise<number | null> {
    for (;;) {
      const key = this.due.peekKey();
      if (key === undefined) return null;
      const slot = this.due.peek()!;
      if (slot.dueMs === key && slot.lease === null && this.records.get(slot.id) === slot) return key;
      this.due.pop(); // stale
    }
  }

  async interruptWaiting(atIso: string): Promise<void> {
    for (const slot of this.records.values()) {
      if (slot.counted !== 'pending' || slot.lease !== null) continue;
      const record = recordOf(slot);
      this.place(slot, { ...record, interruptedAt: atIso, updatedAt: atIso, error: interruptedError(record) });
    }
  }

  private lease(slot: Slot, lease: Lease): void {
    slot.lease = lease;
    this.claimed += 1;
    this.leases.push(lease.leaseUntilMs, slot);
    // Released leases stay in the heap until their time; rebuild it before they outnumber the live ones.
    if (this.leases.size > 2 * this.claimed + 1024) {
      const live = new MinHeap<Slot>();
      for (const held of this.records.values()) if (held.lease) live.push(held.lease.leaseUntilMs, held);
      this.leases = live;
    }
  }

  private release(slot: Slot): void {
    slot.lease = null;
    this.claimed -= 1;
  }

  /** Puts `record` in its slot: counts it under its status, schedules it while pending, evicts past the limit. */
  private place(slot: Slot, record: DeliveryRecord): void {
    if (slot.counted !== record.status) {
      this.tally[slot.counted] -= 1;
      this.tally[record.status] += 1;
      slot.counted = record.status;
    }
    if (record.status === 'pending') {
      this.finished.delete(record.id);
      // Waiting for a retry (not claimed, attempted before): kept compact until it comes due.
      slot.stored = slot.lease === null && record.attempts.length > 0 ? compact(record) : record;
      if (slot.lease === null) {
        slot.dueMs = dueMs(record);
        this.due.push(slot.dueMs, slot);
      }
      return;
    }
    slot.stored = record;
    slot.dueMs = null;
    this.finished.set(record.id, true);
    while (this.finished.size > this.limit) {
      const [id] = this.finished.shift()!;
      const evicted = this.records.get(id);
      if (evicted) this.tally[evicted.counted] -= 1;
      this.records.delete(id);
    }
  }
}
