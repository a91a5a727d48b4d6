import { Deque } from '../../src/collections/deque';

function dequeOf(...items: number[]): Deque<number> {
  const deque = new Deque<number>();
  for (const item of items) deque.push(item);
  return deque;
}

describe('Deque', () => {
  it('shifts items in the order they were pushed', () => {
    const deque = dequeOf(1, 2, 3);

    expect([deque.shift(), deque.shift(), deque.shift(), deque.shift()]).toEqual([1, 2, 3, undefined]);
    expect(deque.length).toBe(0);
  });

  it('peeks at the oldest item without removing it', () => {
    const deque = dequeOf(7, 8);

    expect(deque.peek()).toBe(7);
    expect(deque.length).toBe(2);
    expect(new Deque<number>().peek()).toBeUndefined();
  });

  it('indexes from the oldest remaining item', () => {
    const deque = dequeOf(10, 20, 30, 40);
    deque.shift();

    expect([deque.at(0), deque.at(2), deque.at(3), deque.at(-1)]).toEqual([20, 40, undefined, undefined]);
  });

  it('keeps order and length across the bulk compaction of shifted slots', () => {
    const deque = new Deque<number>();
    for (let i = 0; i < 5000; i += 1) deque.push(i);

    for (let i = 0; i < 3000; i += 1) expect(deque.shift()).toBe(i);
    for (let i = 5000; i < 6000; i += 1) deque.push(i);

    expect(deque.length).toBe(3000);
    expect(deque.peek()).toBe(3000);
    expect(deque.at(2999)).toBe(5999);
    expect(deque.lastIndexBelow(4000, (x) => x)).toBe(999);
  });

  it('finds the newest item whose key is below a bound', () => {
    const deque = dequeOf(2, 4, 6, 8);

    expect(deque.lastIndexBelow(6, (x) => x)).toBe(1);
    expect(deque.lastIndexBelow(7, (x) => x)).toBe(2);
    expect(deque.lastIndexBelow(Number.POSITIVE_INFINITY, (x) => x)).toBe(3);
    expect(deque.lastIndexBelow(2, (x) => x)).toBe(-1);
    expect(new Deque<number>().lastIndexBelow(5, (x) => x)).toBe(-1);
  });

  it('searches only the items not yet shifted', () => {
    const deque = dequeOf(1, 2, 3, 4);
    deque.shift();
    deque.shift();

    expect(deque.lastIndexBelow(3, (x) => x)).toBe(-1);
    expect(deque.lastIndexBelow(4, (x) => x)).toBe(0);
  });

  it('empties on clear', () => {
    const deque = dequeOf(1, 2);

    deque.clear();

    expect(deque.length).toBe(0);
    expect(deque.shift()).toBeUndefined();
  });
});
