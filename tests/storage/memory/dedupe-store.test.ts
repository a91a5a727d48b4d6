import { MemoryDedupeStore, NO_KEY_HELD } from '../../../src/storage/memory/dedupe-store';

const T0 = 1_000_000;

describe('MemoryDedupeStore', () => {
  it('finds the event id remembered under any of its keys', async () => {
    const store = new MemoryDedupeStore({ ttlSeconds: 60, maxEntries: 100 });

    await store.remember(['id:a', 'sig:x'], 'a', T0);

    expect(await store.lookup(['id:a'], T0)).toBe('a');
    expect(await store.lookup(['id:other', 'sig:x'], T0)).toBe('a');
    expect(await store.lookup(['id:b', 'sig:y'], T0)).toBeUndefined();
  });

  it('remembers a key until just before its time-to-live ends', async () => {
    const store = new MemoryDedupeStore({ ttlSeconds: 60, maxEntries: 100 });

    await store.remember(['id:a'], 'a', T0);

    expect(await store.lookup(['id:a'], T0 + 59_999)).toBe('a');
    expect(await store.lookup(['id:a'], T0 + 60_000)).toBeUndefined();
  });

  it('sweeps expired keys when it remembers new ones', async () => {
    const store = new MemoryDedupeStore({ ttlSeconds: 60, maxEntries: 100 });
    await store.remember(['id:a', 'sig:a'], 'a', T0);
    await store.remember(['id:b'], 'b', T0 + 30_000);

    await store.remember(['id:c'], 'c', T0 + 60_000);

    expect(await store.size()).toBe(2);
    expect(await store.lookup(['id:b'], T0 + 60_000)).toBe('b');
  });

  it('forgets the oldest keys first beyond maxEntries', async () => {
    const store = new MemoryDedupeStore({ ttlSeconds: 3600, maxEntries: 3 });

    for (const id of ['a', 'b', 'c', 'd', 'e']) await store.remember([`id:${id}`], id, T0);

    expect(await store.size()).toBe(3);
    expect(await store.lookup(['id:a'], T0)).toBeUndefined();
    expect(await store.lookup(['id:b'], T0)).toBeUndefined();
    expect(await store.lookup(['id:c'], T0)).toBe('c');
    expect(await store.lookup(['id:e'], T0)).toBe('e');
  });

  it('renews a key remembered again, moving it to the back of the eviction order', async () => {
    const store = new MemoryDedupeStore({ ttlSeconds: 60, maxEntries: 2 });
    await store.remember(['id:a'], 'a', T0);
    await store.remember(['id:b'], 'b', T0 + 1000);

    await store.remember(['id:a'], 'a', T0 + 2000);
    await store.remember(['id:c'], 'c', T0 + 3000);

    expect(await store.lookup(['id:a'], T0 + 3000)).toBe('a');
    expect(await store.lookup(['id:b'], T0 + 3000)).toBeUndefined();
    expect(await store.lookup(['id:a'], T0 + 61_000)).toBe('a');
  });

  it('tells a key never held from one held but expired, and keeps the insertion order either way', () => {
    const store = new MemoryDedupeStore({ ttlSeconds: 60, maxEntries: 3 });
    expect(store.check(['id:a', 'sig:a'], T0)).toBe(NO_KEY_HELD);
    store.keep(['id:a', 'sig:a'], 'a', T0, true);
    expect(store.check(['id:a'], T0 + 59_999)).toBe('a');
    expect(store.check(['id:a', 'id:new'], T0 + 60_000)).toBeUndefined(); // held, expired
    // A key listed twice with the promise that none is held: stored once, shifted once.
    store.keep(['id:b', 'id:b'], 'b', T0 + 1, true);
    store.keep(['id:c', 'id:d'], 'c', T0 + 2, true);
    expect(store.find(['id:b'], T0 + 2)).toBe('b');
    expect(store.find(['id:a', 'sig:a'], T0 + 2)).toBeUndefined(); // the oldest, gone past maxEntries
    expect(store.find(['id:c'], T0 + 2)).toBe('c');
  });
});
