import { FifoMap } from '../collections/fifo-map';

/**
 * The exact bytes of recently accepted webhooks, keyed by history entry id, for replay and forwarding.
 *
 * Why beside the history and not in it: a `HistoryEntry` is what the JSON API shows (`payload` is parsed),
 * and the `HistoryStore` contract has other backends (SQLite). Re-serializing `payload` would not give the
 * bytes that were signed, so they are kept here, bounded by total size: the oldest go first. A backend that
 * persists raw bodies can implement this interface too.
 */
export interface RawBodyStore {
  set(id: string, body: Buffer): void;
  get(id: string): Buffer | undefined;
  /** Forgets one body: its event was not stored after all. */
  delete(id: string): void;
  clear(): void;
}

/** In memory, insertion-ordered, at most `maxBytes` in total; a body larger than that is not kept. */
export class RawBodyCache implements RawBodyStore {
  private readonly bodies = new FifoMap<string, Buffer>();
  private bytes = 0;

  /** @param maxBytes total bytes kept; 0 keeps nothing. */
  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.bodies.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  set(id: string, body: Buffer): void {
    this.delete(id);
    if (body.length > this.maxBytes) return;
    // A copy of exactly its size, outside Node's shared 8 KB pool: a pooled copy (Buffer.from) would pin a
    // whole slab, and measured 2.5 KB held per 1 KB body instead of 1 KB.
    const copy = Buffer.allocUnsafeSlow(body.length);
    body.copy(copy);
    this.bodies.set(id, copy);
    this.bytes += body.length;
    while (this.bytes > this.maxBytes) this.bytes -= this.bodies.shift()![1].length;
  }

  get(id: string): Buffer | undefined {
    return this.bodies.get(id);
  }

  clear(): void {
    this.bodies.clear();
    this.bytes = 0;
  }

  delete(id: string): void {
    const existing = this.bodies.get(id);
    if (existing) {
      this.bodies.delete(id);
      this.bytes -= existing.length;
    }
  }
}
