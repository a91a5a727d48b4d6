import { pageBefore } from '../../collections/cursor';
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
  readonly seq: number;
  record: DeliveryRecord;
  readonly content: DeliveryContent;
  /** The status this slot is counted under in the tally. */
  counted: DeliveryStatus;
  /** When it is due, while pending and not claimed; its entry in the due heap has this key. */
  dueMs: number | null;
  lease: Lease | null;
}

/**
 * Deliveries in memory, and their outbox: a heap of due times, so taking what is due costs O(log n) and a
 * delivery waiting for a retry is its record and body, nothing else (no timer, no closure). At most `limit`
 * finished deliveries are kept (the oldest finished go first); pending ones are never evicted, since that would
 * lose them. Records are immutable, so the store keeps the objects it is given.
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
  private readonly leases = new MinHeap<Slot>();
  private seq = 0;
  /** Kept as records are saved, so /healthz and each metrics scrape do not walk every record. */
  private readonly tally: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };

  constructor(private readonly limit: number) {}

  async create(record: DeliveryRecord, content: DeliveryContent, lease?: Lease): Promise<void> {
    this.seq += 1;
    const slot: Slot = { seq: this.seq, record, content, counted: record.status, dueMs: null, lease: lease ?? null };
    this.records.set(record.id, slot);
    this.tally[record.status] += 1;
    if (lease) this.leases.push(lease.leaseUntilMs, slot);
    this.place(slot, record);
  }

  async content(id: string): Promise<DeliveryContent | undefined> {
    return this.records.get(id)?.content;
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return this.records.get(id)?.record;
  }

  async list(query: DeliveryQuery): Promise<DeliveryPage> {
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
      const lease = { token, leaseUntilMs: nowMs + slot.record.timeoutMs + leaseMarginMs };
      slot.dueMs = null;
      slot.lease = lease;
      this.leases.push(lease.leaseUntilMs, slot);
      claimed.push({ record: slot.record, content: slot.content });
    };
    // Leases that ran out first (their worker is gone or stuck), then what is due.
    while (claimed.length < limit && (this.leases.peekKey() ?? Infinity) <= nowMs) {
      const key = this.leases.peekKey()!;
      const slot = this.leases.pop()!;
      if (slot.lease?.leaseUntilMs === key && this.records.get(slot.record.id) === slot) take(slot);
    }
    while (claimed.length < limit && (this.due.peekKey() ?? Infinity) <= nowMs) {
      const key = this.due.peekKey()!;
      const slot = this.due.pop()!;
      if (slot.dueMs === key && slot.lease === null && this.records.get(slot.record.id) === slot) take(slot);
    }
    return claimed;
  }

  async complete(record: DeliveryRecord, token: string): Promise<boolean> {
    const slot = this.records.get(record.id);
    if (!slot || slot.lease?.token !== token) return false;
    slot.lease = null;
    this.place(slot, record);
    return true;
  }

  async nextDueMs(): Promise<number | null> {
    for (;;) {
      const key = this.due.peekKey();
      if (key === undefined) return null;
      const slot = this.due.peek()!;
      if (slot.dueMs === key && slot.lease === null && this.records.get(slot.record.id) === slot) return key;
      this.due.pop(); // stale
    }
  }

  async interruptWaiting(atIso: string): Promise<void> {
    for (const slot of this.records.values()) {
      if (slot.record.status !== 'pending' || slot.lease !== null) continue;
      slot.record = { ...slot.record, interruptedAt: atIso, updatedAt: atIso, error: interruptedError(slot.record) };
    }
  }

  /** Puts `record` in its slot: counts it under its status, schedules it while pending, evicts past the limit. */
  private place(slot: Slot, record: DeliveryRecord): void {
    slot.record = record;
    if (slot.counted !== record.status) {
      this.tally[slot.counted] -= 1;
      this.tally[record.status] += 1;
      slot.counted = record.status;
    }
    if (record.status === 'pending') {
      this.finished.delete(record.id);
      if (slot.lease === null) {
        slot.dueMs = dueMs(record);
        this.due.push(slot.dueMs, slot);
      }
      return;
    }
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
