import { Deque } from '../../collections/deque';
import { entryWeight, eventTypeFilter, matchesEventType } from '../../history/query';
import { DAY_MS, idHolderVerdict, toWebhookEvent, type AcceptOutcome, type EntryUpdate, type HistoryEntry, type HistoryPage, type HistoryQuery, type HistoryStatus, type HistoryStore, type ProcessingState } from '../../history/store';
import { pageBefore } from '../../paging';
import type { WebhookEvent } from '../../processing/registry';
import { MemoryDedupeStore, NO_KEY_HELD } from './dedupe-store';

interface Slot {
  /** Insertion order across both lists: sorts newest first and is the page cursor. */
  readonly seq: number;
  readonly entry: HistoryEntry;
  /** `entryWeight(entry)`, computed once. */
  readonly weight: number;
}

const bySeq = (slot: Slot): number => slot.seq;

/**
 * One bounded, insertion-ordered list with an index per event type. The oldest entry overall is also the
 * oldest of its type, so eviction shifts both in O(1), and a filtered page never scans other types: page
 * latency does not grow with the store's size. Bounded by count, and by weight when `maxBytes` is given.
 */
class BoundedList {
  private readonly all = new Deque<Slot>();
  private readonly byType = new Map<string, Deque<Slot>>();
  private weight = 0;

  constructor(
    private readonly limit: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.all.length;
  }

  /** Adds a slot and returns those evicted to make room (the oldest first; never the slot just added). */
  add(slot: Slot): Slot[] | undefined {
    this.all.push(slot);
    this.weight += slot.weight;
    const type = slot.entry.eventType;
    if (type !== null) {
      let deque = this.byType.get(type);
      if (!deque) this.byType.set(type, (deque = new Deque<Slot>()));
      deque.push(slot);
    }
    if (this.all.length <= this.limit && this.weight <= this.maxBytes) return undefined;
    return this.shiftWhile(() => this.all.length > 1 && (this.all.length > this.limit || this.weight > this.maxBytes));
  }

  /** Removes slots from the oldest end while `expired` says so; returns them. */
  shiftWhile(expired: (slot: Slot) => boolean): Slot[] {
    const removed: Slot[] = [];
    for (let oldest = this.all.peek(); oldest && expired(oldest); oldest = this.all.peek()) {
      this.all.shift();
      this.weight -= oldest.weight;
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

  /** Slots older than `beforeSeq`, newest first, optionally of one event type (or `prefix.*`). */
  *walk(eventType: string | undefined, beforeSeq: number): Generator<Slot> {
    const filter = eventTypeFilter(eventType);
    const deque = filter === undefined || !('exact' in filter) ? this.all : this.byType.get(filter.exact);
    if (!deque) return;
    for (let i = deque.lastIndexBelow(beforeSeq, bySeq); i >= 0; i -= 1) {
      const slot = deque.at(i)!;
      // A prefix walks every entry: the history is bounded (HISTORY_LIMIT), and exact types keep their index.
      if (filter === undefined || 'exact' in filter || matchesEventType(filter, slot.entry.eventType)) yield slot;
    }
  }

  clear(): void {
    this.all.clear();
    this.byType.clear();
    this.weight = 0;
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
  /** Total weight (`entryWeight`) of the accepted entries kept; the oldest are evicted first. Unbounded by default. */
  readonly maxBytes?: number;
}

/** Keys of a store built without its storage's dedupe store (unit tests): the configuration's defaults. */
const STANDALONE_DEDUPE = { ttlSeconds: 86_400, maxEntries: 100_000 };

/**
 * The default history: bounded in memory, O(1) insert and eviction, lost on restart. Its promises are
 * resolved at once; the synchronous methods (`insert`, `find`, ...) are what `accept` composes atomically.
 */
export class MemoryHistoryStore implements HistoryStore {
  private readonly lists: Record<HistoryStatus, BoundedList>;
  private readonly byId = new Map<string, Slot>();
  /** Raw bodies of accepted events whose processing is pending; dropped once it ends. */
  private readonly pendingBodies = new Map<string, Buffer>();
  private readonly retentionMs: number;
  private seq = 0;

  /** @param keys the storage's dedupe keys, which `accept` checks and writes with the entry. */
  constructor(
    options: MemoryHistoryOptions,
    private readonly keys: MemoryDedupeStore = new MemoryDedupeStore(STANDALONE_DEDUPE),
  ) {
    this.retentionMs = (options.retentionDays ?? 0) * DAY_MS;
    this.lists = { accepted: new BoundedList(options.limit, options.maxBytes), rejected: new BoundedList(options.rejectedLimit) };
  }

  accept(entry: HistoryEntry, rawBody: Buffer, keys: readonly string[], nowMs: number, freshId: () => string): Promise<AcceptOutcome> {
    try {
      const held = this.keys.check(keys, nowMs);
      if (typeof held === 'string') return Promise.resolve({ stored: false, duplicateOf: held, update: this.countDuplicate(held) });
      const verdict = idHolderVerdict(this.byId.get(entry.id)?.entry, entry.scheme);
      if (verdict === 'duplicate') return Promise.resolve({ stored: false, duplicateOf: entry.id, update: this.countDuplicate(entry.id) });
      const stored = verdict === 'free' ? entry : { ...entry, id: freshId() };
      this.insert(stored, rawBody);
      this.keys.keep(keys, stored.id, nowMs, held === NO_KEY_HELD);
      return Promise.resolve({ stored: true, id: stored.id });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async add(entry: HistoryEntry, rawBody?: Buffer): Promise<void> {
    this.insert(entry, rawBody);
  }

  /** Adds an entry at once; evicts the oldest of its status when its list is full (or, accepted, too heavy). */
  insert(entry: HistoryEntry, rawBody?: Buffer): void {
    this.seq += 1;
    const slot: Slot = { seq: this.seq, entry, weight: entryWeight(entry) };
    const evicted = this.lists[entry.status].add(slot);
    if (evicted) for (const old of evicted) this.forget(old);
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

  async pendingProcessing(): Promise<WebhookEvent[]> {
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

  async get(id: string): Promise<HistoryEntry | undefined> {
    return this.byId.get(id)?.entry;
  }

  async list(query: HistoryQuery): Promise<HistoryPage> {
    const before = pageBefore(query.cursor);
    const walk =
      query.status !== undefined
        ? this.lists[query.status].walk(query.eventType, before)
        : newestFirst(this.lists.accepted.walk(query.eventType, before), this.lists.rejected.walk(query.eventType, before));
    const maxBytes = query.maxBytes ?? Number.POSITIVE_INFINITY;
    const items: HistoryEntry[] = [];
    let last: Slot | undefined;
    let weight = 0;
    for (const slot of walk) {
      if (items.length === query.limit || (items.length > 0 && weight + slot.weight > maxBytes)) {
        return { items, nextCursor: String(last!.seq) };
      }
      items.push(slot.entry);
      weight += slot.weight;
      last = slot;
    }
    return { items, nextCursor: null };
  }

  async recordDuplicate(id: string): Promise<EntryUpdate | undefined> {
    return this.countDuplicate(id);
  }

  /** Counts a duplicate on an accepted entry at once; its changed fields, undefined if it is not (or no longer) kept. */
  countDuplicate(id: string): EntryUpdate | undefined {
    const entry = this.byId.get(id)?.entry;
    if (entry?.status !== 'accepted') return undefined;
    entry.duplicates += 1;
    return { id, duplicates: entry.duplicates, processing: entry.processing };
  }

  async setProcessing(id: string, processing: ProcessingState): Promise<EntryUpdate | undefined> {
    const entry = this.byId.get(id)?.entry;
    if (!entry) return undefined;
    entry.processing = processing;
    if (processing.state !== 'pending') this.pendingBodies.delete(id);
    return { id, duplicates: entry.duplicates, processing };
  }

  async clear(): Promise<void> {
    this.lists.accepted.clear();
    this.lists.rejected.clear();
    this.byId.clear();
    this.pendingBodies.clear();
  }

  async counts(): Promise<{ accepted: number; rejected: number }> {
    return { accepted: this.lists.accepted.size, rejected: this.lists.rejected.size };
  }
}
