import { FifoMap } from '../../src/collections/fifo-map';

describe('FifoMap', () => {
  it('gives the oldest entry first, and set() makes an entry the newest again', () => {
    const map = new FifoMap<string, number>();
    map.set('a', 1);
    map.set('b', 2);
    map.set('c', 3);
    map.set('a', 4);

    expect(map.shift()).toEqual(['b', 2]);
    expect(map.shift()).toEqual(['c', 3]);
    expect(map.shift()).toEqual(['a', 4]);
    expect(map.shift()).toBeUndefined();
  });

  it('skips deleted entries when looking for the oldest', () => {
    const map = new FifoMap<string, number>();
    map.set('a', 1);
    map.set('b', 2);
    map.delete('a');

    expect(map.oldest()).toEqual(['b', 2]);
    expect(map.size).toBe(1);
    expect(map.get('a')).toBeUndefined();
  });

  it('keeps its order queue within a bound when the same keys are set over and over', () => {
    const map = new FifoMap<number, number>();
    for (let i = 0; i < 100_000; i += 1) map.set(i % 10, i);

    expect(map.size).toBe(10);
    expect((map as unknown as { order: { length: number } }).order.length).toBeLessThanOrEqual(2 * 10 + 64);
    expect(map.shift()).toEqual([0, 99_990]);
  });

  it('keeps exactly the newest entries when a full map evicts its oldest on every insert', () => {
    // The case a plain Map handles in time proportional to its holes (the bench measures that, not this test).
    const map = new FifoMap<number, number>();
    for (let i = 0; i < 50_000; i += 1) map.set(i, i);
    for (let i = 50_000; i < 150_000; i += 1) {
      map.set(i, i);
      map.shift();
    }
    expect(map.size).toBe(50_000);
    expect(map.oldest()).toEqual([100_000, 100_000]);
  });

  it('empties with clear()', () => {
    const map = new FifoMap<string, number>();
    map.set('a', 1);
    map.clear();
    expect(map.size).toBe(0);
    expect(map.oldest()).toBeUndefined();
  });

  it('inserts a key known to be absent with setAbsent as the newest, in order with set', () => {
    const map = new FifoMap<string, number>();
    map.setAbsent('a', 1);
    map.set('b', 2);
    map.setAbsent('c', 3);
    map.set('a', 4); // set again: the earlier record is skipped when it reaches the front
    map.delete('b');

    expect(map.get('c')).toBe(3);
    expect(map.shift()).toEqual(['c', 3]);
    expect(map.shift()).toEqual(['a', 4]);
    expect(map.shift()).toBeUndefined();
  });

  it('finds the oldest live entry after clear() and reuse', () => {
    const map = new FifoMap<string, number>();
    map.set('a', 1);
    map.clear();
    map.setAbsent('a', 2);
    expect(map.oldest()).toEqual(['a', 2]);
    expect(map.size).toBe(1);
  });
});
