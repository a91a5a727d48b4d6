import type { DedupeStore } from '../../src/dedupe/store';

/** `enforceLimits`: see SweepingHistoryStore (history-store.ts). */
export type SweepingDedupeStore = DedupeStore & { sweep(nowMs: number): number | Promise<number>; enforceLimits?(): Promise<unknown> };

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

/** The dedupe contract, run against every backend. `makeStore` returns a fresh, empty store. */
export function describeDedupeStore(
  name: string,
  makeStore: (options: { ttlSeconds: number; maxEntries: number }) => SweepingDedupeStore,
  cleanup: () => void | Promise<void> = () => undefined,
): void {
  describe(`DedupeStore contract: ${name}`, () => {
    afterEach(cleanup);

    it('finds an event by any of its keys within the time-to-live', async () => {
      const store = makeStore({ ttlSeconds: 60, maxEntries: 100 });
      await store.remember(['id:evt_1', 'sig:native:abc'], 'evt_1', T0);
      expect(await store.lookup(['id:evt_1'], T0 + 59_000)).toBe('evt_1');
      expect(await store.lookup(['id:other', 'sig:native:abc'], T0 + 1)).toBe('evt_1');
      expect(await store.lookup(['id:other'], T0)).toBeUndefined();
    });

    it('forgets a key once its time-to-live has passed', async () => {
      const store = makeStore({ ttlSeconds: 60, maxEntries: 100 });
      await store.remember(['id:evt_1'], 'evt_1', T0);
      expect(await store.lookup(['id:evt_1'], T0 + 60_000)).toBeUndefined();
    });

    it('answers with the first key that matches, in the order given', async () => {
      const store = makeStore({ ttlSeconds: 60, maxEntries: 100 });
      await store.remember(['id:a'], 'evt_a', T0);
      await store.remember(['id:b'], 'evt_b', T0);
      expect(await store.lookup(['id:b', 'id:a'], T0)).toBe('evt_b');
    });

    it('extends the time-to-live of a key remembered again', async () => {
      const store = makeStore({ ttlSeconds: 60, maxEntries: 100 });
      await store.remember(['id:evt_1'], 'evt_1', T0);
      await store.remember(['id:evt_1'], 'evt_1', T0 + 50_000);
      expect(await store.lookup(['id:evt_1'], T0 + 100_000)).toBe('evt_1');
    });

    it('keeps at most maxEntries keys, forgetting the oldest first', async () => {
      const store = makeStore({ ttlSeconds: 60, maxEntries: 3 });
      for (let i = 0; i < 5; i += 1) await store.remember([`id:${i}`], `evt_${i}`, T0 + i);
      await store.enforceLimits?.();
      expect(await store.size()).toBe(3);
      expect(await store.lookup(['id:0'], T0 + 10)).toBeUndefined();
      expect(await store.lookup(['id:4'], T0 + 10)).toBe('evt_4');
    });

    it('removes expired keys on sweep and keeps the others', async () => {
      const store = makeStore({ ttlSeconds: 60, maxEntries: 100 });
      await store.remember(['id:old1', 'sig:x'], 'old', T0);
      await store.remember(['id:new'], 'new', T0 + 30_000);
      expect(await store.sweep(T0 + 60_000)).toBe(2);
      expect(await store.size()).toBe(1);
      expect(await store.lookup(['id:new'], T0 + 60_000)).toBe('new');
    });
  });
}
