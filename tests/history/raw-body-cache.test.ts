import { RAW_BODY_SLAB_BYTES, RawBodyCache } from '../../src/history/raw-body-cache';

const body = (n: number, size: number): Buffer => Buffer.alloc(size, n % 251);

describe('RawBodyCache', () => {
  it('gives back every kept body byte for byte, across slab boundaries', () => {
    const cache = new RawBodyCache(256 * 1024 * 1024);
    const sizes = [0, 1, 1030, 40_000, 70_000, 3, RAW_BODY_SLAB_BYTES / 16 + 1];
    const count = Math.ceil((3 * RAW_BODY_SLAB_BYTES) / 1030);
    for (let i = 0; i < count; i += 1) cache.set(`evt_${i}`, body(i, sizes[i % sizes.length]!));
    for (let i = 0; i < count; i += 1) expect(cache.get(`evt_${i}`)!.equals(body(i, sizes[i % sizes.length]!))).toBe(true);
  });

  it('keeps its own copy: changing the request buffer afterwards changes nothing kept', () => {
    const cache = new RawBodyCache(1024 * 1024);
    const request = Buffer.from('{"n":1}');
    cache.set('evt_1', request);
    request.fill(0);
    expect(cache.get('evt_1')!.toString()).toBe('{"n":1}');
  });

  it('forgets the oldest bodies once the total passes maxBytes, and keeps the count exact', () => {
    const cache = new RawBodyCache(10_000);
    for (let i = 0; i < 25; i += 1) cache.set(`evt_${i}`, body(i, 1000));
    expect(cache.size).toBe(10);
    expect(cache.totalBytes).toBe(10_000);
    expect(cache.get('evt_14')).toBeUndefined();
    expect(cache.get('evt_15')!.equals(body(15, 1000))).toBe(true);
  });

  it('replaces the body of an id set again, and forgets a deleted one', () => {
    const cache = new RawBodyCache(10_000);
    cache.set('evt_1', Buffer.from('old'));
    cache.set('evt_1', Buffer.from('newer'));
    cache.set('evt_2', Buffer.from('two'));
    cache.delete('evt_2');
    expect(cache.get('evt_1')!.toString()).toBe('newer');
    expect(cache.get('evt_2')).toBeUndefined();
    expect([cache.size, cache.totalBytes]).toEqual([1, 5]);
  });

  it('keeps nothing larger than maxBytes, and nothing at all with 0', () => {
    const small = new RawBodyCache(100);
    small.set('big', body(1, 101));
    expect(small.get('big')).toBeUndefined();
    const none = new RawBodyCache(0);
    none.set('evt_1', Buffer.from('x'));
    expect(none.size).toBe(0);
  });

  it('keeps no more bodies than maxBodies (the history limit), the newest', () => {
    const cache = new RawBodyCache(1024 * 1024, 3);
    for (let i = 0; i < 5; i += 1) cache.set(`evt_${i}`, body(i, 10));
    expect([cache.size, cache.totalBytes]).toEqual([3, 30]);
    expect(cache.get('evt_1')).toBeUndefined();
    expect(cache.get('evt_2')!.equals(body(2, 10))).toBe(true);
  });
});
