import fc from 'fast-check';
import { ValidationError } from '../../../src/errors';
import { MemoryHistoryStore } from '../../../src/storage/memory/history-store';
import type { HistoryQuery } from '../../../src/history/store';
import { historyEntry } from '../../helpers/history';

const ids = async (store: MemoryHistoryStore, query: Partial<HistoryQuery> = {}): Promise<string[]> =>
  (await store.list({ limit: 500, ...query })).items.map((e) => e.id);

describe('MemoryHistoryStore', () => {
  it('returns what it stored, by id', async () => {
    const store = new MemoryHistoryStore({ limit: 10, rejectedLimit: 10 });
    const entry = historyEntry({ id: 'a' });

    await store.add(entry);

    expect(await store.get('a')).toBe(entry);
    expect(await store.get('b')).toBeUndefined();
  });

  it('evicts the oldest accepted entry once the limit is reached, and forgets its id', async () => {
    const store = new MemoryHistoryStore({ limit: 3, rejectedLimit: 3 });

    for (const id of ['a', 'b', 'c', 'd']) await store.add(historyEntry({ id }));

    expect(await ids(store)).toEqual(['d', 'c', 'b']);
    expect(await store.get('a')).toBeUndefined();
    expect(await store.counts()).toEqual({ accepted: 3, rejected: 0 });
  });

  it('stays at its limit however many entries arrive', async () => {
    const store = new MemoryHistoryStore({ limit: 10, rejectedLimit: 5 });

    for (let i = 0; i < 5000; i += 1) {
      await store.add(historyEntry({ id: `a${i}`, eventType: `type-${i % 7}` }));
      await store.add(historyEntry({ id: `r${i}`, status: 'rejected' }));
    }

    expect(await store.counts()).toEqual({ accepted: 10, rejected: 5 });
    expect(await ids(store, { status: 'accepted' })).toEqual(Array.from({ length: 10 }, (_, i) => `a${4999 - i}`));
    expect(await store.get('a4989')).toBeUndefined();
    expect(await store.get('a4990')).toBeDefined();
  });

  it('never evicts an accepted entry to make room for a rejected one', async () => {
    const store = new MemoryHistoryStore({ limit: 2, rejectedLimit: 2 });
    await store.add(historyEntry({ id: 'a' }));
    await store.add(historyEntry({ id: 'b' }));

    for (let i = 0; i < 10; i += 1) await store.add(historyEntry({ id: `r${i}`, status: 'rejected' }));

    expect(await ids(store, { status: 'accepted' })).toEqual(['b', 'a']);
    expect(await ids(store, { status: 'rejected' })).toEqual(['r9', 'r8']);
  });

  it('keeps the per-type index right after eviction', async () => {
    const store = new MemoryHistoryStore({ limit: 2, rejectedLimit: 2 });
    await store.add(historyEntry({ id: 'x1', eventType: 'x' }));
    await store.add(historyEntry({ id: 'y1', eventType: 'y' }));
    await store.add(historyEntry({ id: 'x2', eventType: 'x' })); // evicts x1

    expect(await ids(store, { eventType: 'x' })).toEqual(['x2']);
    expect(await ids(store, { eventType: 'y' })).toEqual(['y1']);

    await store.add(historyEntry({ id: 'x3', eventType: 'x' })); // evicts y1, the last of its type

    expect(await ids(store, { eventType: 'y' })).toEqual([]);
    expect(await ids(store, { eventType: 'x' })).toEqual(['x3', 'x2']);

    await store.add(historyEntry({ id: 'y2', eventType: 'y' })); // a type seen again after its index emptied

    expect(await ids(store, { eventType: 'y' })).toEqual(['y2']);
  });

  it('keeps entries without an event type out of the per-type index', async () => {
    const store = new MemoryHistoryStore({ limit: 2, rejectedLimit: 2 });
    await store.add(historyEntry({ id: 'n1', eventType: null }));
    await store.add(historyEntry({ id: 't1', eventType: 't' }));
    await store.add(historyEntry({ id: 't2', eventType: 't' })); // evicts n1

    expect(await ids(store)).toEqual(['t2', 't1']);
    expect(await ids(store, { eventType: 't' })).toEqual(['t2', 't1']);
  });

  it('merges accepted and rejected entries newest first', async () => {
    const store = new MemoryHistoryStore({ limit: 10, rejectedLimit: 10 });
    await store.add(historyEntry({ id: 'a1' }));
    await store.add(historyEntry({ id: 'r1', status: 'rejected' }));
    await store.add(historyEntry({ id: 'r2', status: 'rejected' }));
    await store.add(historyEntry({ id: 'a2' }));
    await store.add(historyEntry({ id: 'r3', status: 'rejected' }));

    expect(await ids(store)).toEqual(['r3', 'a2', 'r2', 'r1', 'a1']);
  });

  it('pages across the merge without overlap or gaps', async () => {
    const store = new MemoryHistoryStore({ limit: 10, rejectedLimit: 10 });
    for (const [id, status] of [['a1', 'accepted'], ['r1', 'rejected'], ['a2', 'accepted'], ['r2', 'rejected'], ['a3', 'accepted']] as const) {
      await store.add(historyEntry({ id, status }));
    }

    const first = await store.list({ limit: 2 });
    const second = await store.list({ limit: 2, cursor: first.nextCursor! });
    const third = await store.list({ limit: 2, cursor: second.nextCursor! });

    expect([first, second, third].map((p) => p.items.map((e) => e.id))).toEqual([['a3', 'r2'], ['a2', 'r1'], ['a1']]);
    expect(third.nextCursor).toBeNull();
  });

  it('keeps a cursor valid when newer entries arrive between pages', async () => {
    const store = new MemoryHistoryStore({ limit: 10, rejectedLimit: 10 });
    for (const id of ['a', 'b', 'c']) await store.add(historyEntry({ id }));
    const first = await store.list({ limit: 2 });

    await store.add(historyEntry({ id: 'd' }));
    const second = await store.list({ limit: 2, cursor: first.nextCursor! });

    expect(first.items.map((e) => e.id)).toEqual(['c', 'b']);
    expect(second.items.map((e) => e.id)).toEqual(['a']);
  });

  it.each(['garbage', '-1', '1.5', '', '1234567890123456'])('refuses the cursor %p with a ValidationError', async (cursor) => {
    const store = new MemoryHistoryStore({ limit: 10, rejectedLimit: 10 });

    await expect(store.list({ limit: 10, cursor })).rejects.toThrow(ValidationError);
  });

  it('counts duplicates of accepted entries only and ignores unknown ids', async () => {
    const store = new MemoryHistoryStore({ limit: 10, rejectedLimit: 10 });
    await store.add(historyEntry({ id: 'a' }));
    await store.add(historyEntry({ id: 'r', status: 'rejected' }));

    await store.recordDuplicate('a');
    await store.recordDuplicate('a');
    await store.recordDuplicate('r');
    await store.recordDuplicate('unknown');

    expect((await store.get('a'))!.duplicates).toBe(2);
    expect((await store.get('r'))!.duplicates).toBe(0);
  });

  it('updates the processing state of an entry', async () => {
    const store = new MemoryHistoryStore({ limit: 10, rejectedLimit: 10 });
    await store.add(historyEntry({ id: 'a' }));

    await store.setProcessing('a', { state: 'failed', error: 'boom', durationMs: 3 });

    expect((await store.get('a'))!.processing).toEqual({ state: 'failed', error: 'boom', durationMs: 3 });
  });

  it('keeps the newer entry by id when an older one with the same id is evicted', async () => {
    const store = new MemoryHistoryStore({ limit: 2, rejectedLimit: 2 });
    await store.add(historyEntry({ id: 'same', payload: 'old' }));
    await store.add(historyEntry({ id: 'same', payload: 'new' }));

    await store.add(historyEntry({ id: 'other' })); // evicts the old "same"

    expect((await store.get('same'))?.payload).toBe('new');
  });

  it('clears everything', async () => {
    const store = new MemoryHistoryStore({ limit: 10, rejectedLimit: 10 });
    await store.add(historyEntry({ id: 'a' }));
    await store.add(historyEntry({ id: 'r', status: 'rejected' }));

    await store.clear();

    expect(await store.counts()).toEqual({ accepted: 0, rejected: 0 });
    expect(await store.get('a')).toBeUndefined();
    expect(await store.list({ limit: 10 })).toEqual({ items: [], nextCursor: null });
  });

  it('pages any mix of entries into disjoint pages that cover the filtered list (property)', async () => {
    const arbitraryEntry = fc.record({
      status: fc.constantFrom('accepted' as const, 'rejected' as const),
      eventType: fc.constantFrom('a', 'b', null),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbitraryEntry, { maxLength: 60 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 8 }),
        fc.record({ eventType: fc.constantFrom('a', 'b', undefined), status: fc.constantFrom('accepted' as const, 'rejected' as const, undefined) }),
        async (entries, limit, pageSize, filter) => {
          const store = new MemoryHistoryStore({ limit, rejectedLimit: limit });
          for (const [i, e] of entries.entries()) await store.add(historyEntry({ id: `e${i}`, ...e }));

          // The reference: the newest `limit` of each status, merged newest first, then filtered.
          const kept = new Set(
            (['accepted', 'rejected'] as const).flatMap((status) =>
              entries.map((e, i) => ({ ...e, i })).filter((e) => e.status === status).slice(-limit).map((e) => e.i),
            ),
          );
          const expected = entries
            .map((e, i) => ({ ...e, id: `e${i}`, i }))
            .filter((e) => kept.has(e.i))
            .filter((e) => (filter.eventType === undefined || e.eventType === filter.eventType) && (filter.status === undefined || e.status === filter.status))
            .reverse()
            .map((e) => e.id);

          const seen: string[] = [];
          let cursor: string | undefined;
          for (let guard = 0; guard < 100; guard += 1) {
            const page = await store.list({ limit: pageSize, cursor, eventType: filter.eventType, status: filter.status });
            expect(page.items.length).toBeLessThanOrEqual(pageSize);
            seen.push(...page.items.map((e) => e.id));
            if (page.nextCursor === null) break;
            expect(page.items).toHaveLength(pageSize);
            cursor = page.nextCursor;
          }
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
