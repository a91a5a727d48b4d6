import { pageBefore } from '../../paging';
import { FifoMap } from '../../collections/fifo-map';
import { MinHeap } from '../../collections/min-heap';
import { DeliveryPacker } from './packed-delivery';
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

/** What a delivery sends besides its body: kept beside the packed bytes while it waits. */
type ContentMeta = Omit<DeliveryContent, 'body'>;
/** The usual case (the configured secrets, no extra headers): one object shared by every waiting delivery. */
const PLAIN: ContentMeta = Object.freeze({ signAll: false });

/** What `interruptWaiting` marks a waiting record with. */
const interruptedRecord = (record: DeliveryRecord, atIso: string): DeliveryRecord => ({ ...record, interruptedAt: atIso, updatedAt: atIso, error: interruptedError(record) });

const metaOf = ({ body: _body, ...meta }: DeliveryContent): ContentMeta =>
  meta.secret === undefined && !meta.signAll && meta.headers === undefined && meta.secretUnavailable === undefined ? PLAIN : meta;

interface Slot {
  readonly id: string;
  readonly seq: number;
  /**
   * The record, or, while it waits for a retry, the record and its body packed into one string
   * (packed-delivery.ts): a waiting delivery is read only when it comes due or is listed.
   */
  stored: DeliveryRecord | string;
  /** What it sends; while packed, all of it but the body. */
  content: DeliveryContent | ContentMeta;
  /** The dictionary the packed bytes need; null while not packed. */
  dictionary: Buffer | null;
  /** The status this slot is counted under in the tally. */
  counted: DeliveryStatus;
  /** When it is due, while pending and not claimed; its entry in the due heap has this key. */
  dueMs: number | null;
  lease: Lease | null;
}

/**
 * Deliveries in memory, and their outbox: a heap of due times, so taking what is due costs O(log n) and a
 * delivery waiting for a retry is one packed string and a slot, nothing else: no timer, no closure. At most
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
  private readonly packer = new DeliveryPacker();
  /**
   * The packed deliveries `interruptWaiting` marked, and when: the mark is put on each as it is read, until its
   * next write. Unpacking and repacking every waiting delivery at shutdown took 5 s for 100,000.
   */
  private interrupted: { readonly atIso: string; readonly slots: Set<Slot> } | undefined;

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
    const slot: Slot = { id: record.id, seq: this.seq, stored: record, content, dictionary: null, counted: record.status, dueMs: null, lease: null };
    this.records.set(record.id, slot);
    this.tally[record.status] += 1;
    if (lease) this.lease(slot, lease);
    this.place(slot, record);
  }

  async content(id: string): Promise<DeliveryContent | undefined> {
    const slot = this.records.get(id);
    return slot && this.unpacked(slot).content;
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const slot = this.records.get(id);
    return slot && this.unpacked(slot).record;
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
      items.push(this.unpacked(slot).record);
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
      const { record, content } = this.unpacked(slot);
      slot.stored = record;
      slot.content = content;
      slot.dictionary = null;
      this.interrupted?.slots.delete(slot);
      slot.dueMs = null;
      this.lease(slot, { token, leaseUntilMs: nowMs + record.timeoutMs + leaseMarginMs });
      claimed.push({ record, content });
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
    const slots = new Set<Slot>();
    for (const slot of this.records.values()) {
      if (slot.counted !== 'pending' || slot.lease !== null) continue;
      if (typeof slot.stored === 'string') slots.add(slot);
      else this.place(slot, interruptedRecord(slot.stored, atIso));
    }
    this.interrupted = { atIso, slots };
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

  /** The record and content of a slot, unpacked (new objects) when packed. */
  private unpacked(slot: Slot): { record: DeliveryRecord; content: DeliveryContent } {
    if (typeof slot.stored !== 'string') return { record: slot.stored, content: slot.content as DeliveryContent };
    const { record, body } = this.packer.unpack(slot.stored, slot.dictionary!);
    const interrupted = this.interrupted?.slots.has(slot) ? this.interrupted.atIso : undefined;
    return { record: interrupted === undefined ? record : interruptedRecord(record, interrupted), content: { ...slot.content, body } };
  }

  /**
   * Puts `record` in its slot: counts it under its status, schedules it while pending, evicts past the limit.
   * Waiting for a retry (pending, not claimed, attempted before), it is packed with its body until it comes due.
   */
  private place(slot: Slot, record: DeliveryRecord, content = this.unpacked(slot).content): void {
    this.interrupted?.slots.delete(slot);
    if (slot.counted !== record.status) {
      this.tally[slot.counted] -= 1;
      this.tally[record.status] += 1;
      slot.counted = record.status;
    }
    if (record.status === 'pending' && slot.lease === null && record.attempts.length > 0) {
      const packed = this.packer.pack(record, content.body);
      slot.stored = packed.data;
      slot.dictionary = packed.dictionary;
      slot.content = metaOf(content);
    } else {
      slot.stored = record;
      slot.content = content;
      slot.dictionary = null;
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
