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

/** Bytes of one slab the bodies are copied into (see RawBodyCache). */
export const RAW_BODY_SLAB_BYTES = 1024 * 1024;

/**
 * In memory, insertion-ordered, at most `maxBytes` in total; a body larger than that is not kept.
 *
 * Each body is copied, since the request's buffer may be a slice of a larger one (Node's shared 8 KB pool: a
 * pooled copy would pin a whole slab shared with anything else, measured 2.5 KB held per 1 KB body). The
 * copies go one after another into slabs of `RAW_BODY_SLAB_BYTES` that only this cache uses: a body is a view
 * of its slab, and a slab is freed once its last body is. Bodies leave in the order they came, so at most the
 * oldest and the newest slab are partly empty (plus the rare body deleted out of order). Why not an allocation
 * per body (`Buffer.allocUnsafeSlow`): 0.86 against 0.29 µs of CPU per 1 KB body, measured, plus a backing
 * store per webhook for the garbage collector to finalize (issue 13).
 */
export class RawBodyCache implements RawBodyStore {
  private readonly bodies = new FifoMap<string, Buffer>();
  private bytes = 0;
  private slab: Buffer | undefined;
  private slabUsed = 0;
  /** A small cache gets small slabs. */
  private readonly slabBytes: number;

  /**
   * @param maxBytes total bytes kept; 0 keeps nothing.
   * @param maxBodies bodies kept at most: the history's limit, since every reader (replay, export, curl,
   *   forwarding) reaches a body through its history entry, and the body of an evicted entry is never read
   *   again. Bounding the count keeps the map small and warm: at 64 MiB of 1 KB bodies it held 64,000 bodies
   *   for 1,000 entries, and its lookup on the receive path cost a few cache misses (issue 13).
   */
  constructor(
    private readonly maxBytes: number,
    private readonly maxBodies = Number.POSITIVE_INFINITY,
  ) {
    this.slabBytes = Math.min(RAW_BODY_SLAB_BYTES, maxBytes);
  }

  get size(): number {
    return this.bodies.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  set(id: string, body: Buffer): void {
    const existing = this.bodies.get(id);
    if (existing) this.remove(id, existing);
    if (body.length > this.maxBytes) return;
    const copy = this.copyOf(body);
    // `get` has just missed (or the old body was removed): one map operation.
    this.bodies.setAbsent(id, copy);
    this.bytes += body.length;
    while (this.bytes > this.maxBytes || this.bodies.size > this.maxBodies) this.bytes -= this.bodies.shift()![1].length;
  }

  get(id: string): Buffer | undefined {
    return this.bodies.get(id);
  }

  clear(): void {
    this.bodies.clear();
    this.bytes = 0;
    this.slab = undefined;
    this.slabUsed = 0;
  }

  delete(id: string): void {
    const existing = this.bodies.get(id);
    if (existing) this.remove(id, existing);
  }

  private remove(id: string, body: Buffer): void {
    this.bodies.delete(id);
    this.bytes -= body.length;
  }

  /** A copy of `body` of exactly its size that pins nothing but this cache's own slab. */
  private copyOf(body: Buffer): Buffer {
    // A body larger than a sixteenth of a slab gets an allocation of its own: few of them fill a slab anyway.
    if (body.length > this.slabBytes / 16) {
      const own = Buffer.allocUnsafeSlow(body.length);
      body.copy(own);
      return own;
    }
    if (this.slab === undefined || this.slabUsed + body.length > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(this.slabBytes);
      this.slabUsed = 0;
    }
    const copy = this.slab.subarray(this.slabUsed, this.slabUsed + body.length);
    body.copy(copy);
    this.slabUsed += body.length;
    return copy;
  }
}
