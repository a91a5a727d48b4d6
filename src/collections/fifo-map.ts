import { Deque } from './deque';

interface Slot<V> {
  readonly value: V;
  readonly seq: number;
}

/**
 * A Map that also knows its oldest entry in O(1) (amortized), for bounded caches that forget the oldest
 * first. Why not a plain Map's insertion order: V8 leaves a hole for every deleted entry until the table
 * is rebuilt, and `map.keys().next()` walks over all of them, so "delete the oldest" on a full Map costs
 * time in proportion to the holes. Measured on the receive path: 74 µs per webhook for the dedupe store at
 * 100,000 keys, against under 1 µs with this.
 *
 * `set` makes an entry the newest (delete-then-insert semantics). Deleted or re-set entries leave a stale
 * record in the order queue, skipped when it reaches the front; the queue is rebuilt once stale records
 * outnumber live ones, so it stays within twice the map's size.
 */
export class FifoMap<K, V> {
  private readonly map = new Map<K, Slot<V>>();
  private order = new Deque<{ readonly key: K; readonly seq: number }>();
  private seq = 0;

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Sets `key` to `value` and makes it the newest entry. */
  set(key: K, value: V): void {
    this.seq += 1;
    this.map.delete(key);
    this.map.set(key, { value, seq: this.seq });
    this.order.push({ key, seq: this.seq });
    if (this.order.length > 2 * this.map.size + 64) this.rebuild();
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** The oldest entry, or undefined when empty. */
  oldest(): [K, V] | undefined {
    for (let record = this.order.peek(); record !== undefined; record = this.order.peek()) {
      const slot = this.map.get(record.key);
      if (slot !== undefined && slot.seq === record.seq) return [record.key, slot.value];
      this.order.shift(); // stale: deleted, or set again later
    }
    return undefined;
  }

  /** Removes and returns the oldest entry. */
  shift(): [K, V] | undefined {
    const oldest = this.oldest();
    if (oldest) {
      this.order.shift();
      this.map.delete(oldest[0]);
    }
    return oldest;
  }

  clear(): void {
    this.map.clear();
    this.order = new Deque();
  }

  private rebuild(): void {
    // The map iterates in insertion order, and `set` re-inserts, so this is oldest first.
    const order = new Deque<{ readonly key: K; readonly seq: number }>();
    for (const [key, slot] of this.map) order.push({ key, seq: slot.seq });
    this.order = order;
  }
}
