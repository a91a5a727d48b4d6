/**
 * An append-only queue with O(1) push and shift and O(log n) search by a key that grows with insertion
 * order. Shifted slots are reclaimed in bulk once they make up half the array.
 */
export class Deque<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined as T; // let the collector have it before the next compaction
    this.head += 1;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** The item at `index` counted from the oldest (0). */
  at(index: number): T | undefined {
    return index >= 0 && index < this.length ? this.items[this.head + index] : undefined;
  }

  /**
   * The index of the newest item whose key is below `bound`, or -1: where a newest-first walk resumes.
   * `key` must grow with insertion order.
   */
  lastIndexBelow(bound: number, key: (item: T) => number): number {
    let lo = 0;
    let hi = this.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (key(this.items[this.head + mid] as T) < bound) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
