import { pageBefore } from '../../paging';
import { Deque } from '../../collections/deque';
import type { WebhookEvent } from '../../processing/registry';
import { DAY_MS, toWebhookEvent, type HistoryEntry, type HistoryPage, type HistoryQuery, type HistoryStatus, type HistoryStore, type ProcessingState } from '../../history/store';

interface Slot {
  /** Insertion order across both lists: sorts newest first and is the page cursor. */
  readonly seq: number;
  readonly entry: HistoryEntry;
}

const bySeq = (slot: Slot): number => slot.seq;

/**
 * One bounded, insertion-ordered list with an index per event type. The oldest entry overall is also the
 * oldest of its type, so eviction shifts both in O(1), and a filtered page never scans other types: page
 * latency does not grow with the store's size.
 */
class BoundedList {
  private readonly all = new Deque<Slot>();
  private readonly byType = new Map<string, Deque<Slot>>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.all.length;
  }

  /** Adds a slot and returns the one evicted to make room, if any. */
  add(slot: Slot): Slot | undefined {
    this.all.push(slot);
    const type = slot.entry.eventType;
    if (type !== null) {
      let deque = this.byType.get(type);
      if (!deque) this.byType.set(type, (deque = new Deque<Slot>()));
      deque.push(slot);
    }
    if (this.all.length <= this.limit) return undefined;
    const evicted = this.all.shift()!;
    const evictedType = evicted.entry.eventType;
    if (evictedType !== null) {
      const deque = this.byType.get(evictedType)!;
      deque.shift();
      if (deque.length === 0) this.byType.delete(evictedType);
    }
    return evicted;
  }

  /** Removes slots from the oldest end while `expired` says so; returns them. */
  shiftWhile(expired: (slot: Slot) => boolean): Slot[] {
    const removed: Slot[] = [];
    for (let oldest = this.all.peek(); oldest && expired(oldest); oldest = this.all.peek()) {
      this.all.shift();
      const type = oldest.entry.eventType;
      if (type !== null) {
        const deque = this.byType.get(type)!;
        deque.shift(); // the oldest overall is the oldest of its type
        if (deque.length === 0) this.byType.delete(type);
      }
      removed.push(oldest);
    }
    return removed;
  }

  /** Slots older than `beforeSeq`, newest first, optionally of one event type. */
  *walk(eventType: string | undefined, beforeSeq: number): Generator<Slot> {
    const deque = eventType === undefined ? this.all : this.byType.get(eventType);
    if (!deque) return;
    for (let i = deque.lastIndexBelow(beforeSeq, bySeq); i >= 0; i -= 1) yield deque.at(i)!;
  }

  clear(): void {
    this.all.clear();
    this.byType.clear();
  }
}

/** Merges two newest-first walks into one. */
function* newestFirst(a: Generator<Slot>, b: Generator<Slot>): Generator<Slot> {
  let x = a.next();
  let y = b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value.seq > y.value.seq)) {
      yield x.value as Slot;
      x = a.next();
    } else {
      yield y.value;
      y = b.next();
    }
  }
}

export interface MemoryHistoryOptions {
  /** Accepted entries kept; the oldest are evicted first. */
  readonly limit: number;
  /** Rejected entries kept, in their own list. */
  readonly rejectedLimit: number;
  /** Entries older than this many days are removed by `sweep`; 0 (the default) keeps them. */
  readonly retentionDays?: number;
}

/** The default history: bounded in memory, O(1) insert and eviction, lost on restart. */
export class MemoryHistoryStore implements HistoryStore {
  private readonly lists: Record<HistoryStatus, BoundedList>;
  private readonly byId = new Map<string, Slot>();
  /** Raw bodies of accepted events whose processing is pending; dropped once it ends. */
  private readonly pendingBodies = new Map<string, Buffer>();
  private readonly retentionMs: number;
  private seq = 0;

  constructor(options: MemoryHistoryOptions) {
    this.retentionMs = (options.retentionDays ?? 0) * DAY_MS;
    this.lists = { accepted: new BoundedList(options.limit), rejected: new BoundedList(options.rejectedLimit) };
  }

  add(entry: HistoryEntry, rawBody?: Buffer): void {
    this.seq += 1;
    const slot: Slot = { seq: this.seq, entry };
    const evicted = this.lists[entry.status].add(slot);
    if (evicted) this.forget(evicted);
    this.byId.set(entry.id, slot);
    if (entry.status === 'accepted' && entry.processing?.state === 'pending') this.pendingBodies.set(entry.id, rawBody ?? Buffer.alloc(0));
  }

  /**
   * Removes entries received more than the retention before `nowMs`; returns how many. Insertion order is
   * arrival order, so only the oldest end is looked at.
   */
  sweep(nowMs: number): number {
    if (this.retentionMs === 0) return 0;
    const cutoff = nowMs - this.retentionMs;
    const expired = (slot: Slot): boolean => Date.parse(slot.entry.receivedAt) < cutoff;
    const removed = [...this.lists.accepted.shiftWhile(expired), ...this.lists.rejected.shiftWhile(expired)];
    for (const slot of removed) this.forget(slot);
    return removed.length;
  }

  pendingProcessing(): WebhookEvent[] {
    const events: WebhookEvent[] = [];
    for (const [id, rawBody] of this.pendingBodies) {
      const entry = this.byId.get(id)?.entry;
      if (entry?.processing?.state === 'pending') events.push(toWebhookEvent(entry, rawBody));
    }
    return events;
  }

  private forget(slot: Slot): void {
    if (this.byId.get(slot.entry.id) !== slot) return;
    this.byId.delete(slot.entry.id);
    this.pendingBodies.delete(slot.entry.id);
  }

  get(id: string): HistoryEntry | undefined {
    return this.byId.get(id)?.entry;
  }

  list(query: HistoryQuery): HistoryPage {
    const before = pageBefore(query.cursor);
    const walk =
      query.status !== undefined
        ? this.lists[query.status].walk(query.eventType, before)
        : newestFirst(this.lists.accepted.walk(query.eventType, before), this.lists.rejected.walk(query.eventType, before));
    const items: HistoryEntry[] = [];
    let last: Slot | undefined;
    for (const slot of walk) {
      if (items.length === query.limit) {
        return { items, nextCursor: String(last!.seq) };
      }
      items.push(slot.entry);
      last = slot;
    }
    return { items, nextCursor: null };
  }

  recordDuplicate(id: string): void {
    const slot = this.byId.get(id);
    if (slot?.entry.status === 'accepted') slot.entry.duplicates += 1;
  }

  setProcessing(id: string, processing: ProcessingState): void {
    const slot = this.byId.get(id);
    if (!slot) return;
    slot.entry.processing = processing;
    if (processing.state !== 'pending') this.pendingBodies.delete(id);
  }

  clear(): void {
    this.lists.accepted.clear();
    this.lists.rejected.clear();
    this.byId.clear();
    this.pendingBodies.clear();
  }

  counts(): { accepted: number; rejected: number } {
    return { accepted: this.lists.accepted.size, rejected: this.lists.rejected.size };
  }
}
