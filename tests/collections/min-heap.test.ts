import { MinHeap } from '../../src/collections/min-heap';

describe('MinHeap', () => {
  it('gives items back smallest key first, equal keys in the order they went in', () => {
    const heap = new MinHeap<string>();
    const keys = [5, 1, 9, 1, 3, 9, 0, 5];
    keys.forEach((key, i) => heap.push(key, `${key}#${i}`));
    expect(heap.size).toBe(keys.length);
    expect(heap.peekKey()).toBe(0);
    const out: string[] = [];
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item);
    expect(out).toEqual(['0#6', '1#1', '1#3', '3#4', '5#0', '5#7', '9#2', '9#5']);
    expect(heap.size).toBe(0);
    expect(heap.peekKey()).toBeUndefined();
  });

  it('keeps its order through interleaved pushes and pops', () => {
    const heap = new MinHeap<number>();
    const reference: number[] = [];
    let seed = 7;
    const next = (): number => (seed = (seed * 48271) % 2147483647) % 1000;
    for (let i = 0; i < 2000; i += 1) {
      if (i % 3 === 2) {
        reference.sort((a, b) => a - b);
        expect(heap.pop()).toBe(reference.shift());
      } else {
        const key = next();
        heap.push(key, key);
        reference.push(key);
      }
    }
    expect(heap.size).toBe(reference.length);
  });
});
