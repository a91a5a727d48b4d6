import { ValidationError } from '../../src/errors';
import { entryWeight } from '../../src/history/query';
import type { HistoryEntry, HistoryStatus, HistoryStore } from '../../src/history/store';

export interface HistoryStoreOptions {
  readonly limit: number;
  readonly rejectedLimit: number;
  readonly retentionDays?: number;
  readonly maxBytes?: number;
}

/**
 * `enforceLimits`: a backend that enforces its limits in a periodic job rather than on every insert (PostgreSQL,
 * where one instance trims for all) runs that job here; the limits must hold once it has run.
 */
export type SweepingHistoryStore = HistoryStore & { sweep(nowMs: number): number | Promise<number>; enforceLimits?(): Promise<unknown> };

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

export function historyEntry(id: string, overrides: Partial<HistoryEntry> = {}): HistoryEntry {
  const status: HistoryStatus = overrides.status ?? 'accepted';
  return {
    id,
    receivedAt: new Date(T0).toISOString(),
    eventType: 'user.created',
    scheme: 'native',
    status,
    verification: status === 'accepted' ? { ok: true, reason: null } : { ok: false, reason: 'signature.mismatch', message: 'no match' },
    headers: { 'content-type': 'application/json', 'x-webhook-signature': '[redacted]' },
    payload: { id, nested: { list: [1, 2, 3] } },
    sizeBytes: 42,
    duplicates: 0,
    processing: status === 'accepted' ? { state: 'pending' } : null,
    ...overrides,
  };
}

const ids = (entries: readonly HistoryEntry[]): string[] => entries.map((e) => e.id);

/** The `freshId` of `accept`: evt_fresh1, evt_fresh2, ... per store under test. */
const freshIds = (): (() => string) => {
  let n = 0;
  return () => `evt_fresh${(n += 1)}`;
};

/** The history contract, run against every backend. `makeStore` returns a fresh, empty store. */
export function describeHistoryStore(name: string, makeStore: (options: HistoryStoreOptions) => SweepingHistoryStore, cleanup: () => void | Promise<void> = () => undefined): void {
  describe(`HistoryStore contract: ${name}`, () => {
    afterEach(cleanup);
    const fresh = (options: Partial<HistoryStoreOptions> = {}): SweepingHistoryStore => makeStore({ limit: 100, rejectedLimit: 100, ...options });
    let freshId = freshIds();
    beforeEach(() => {
      freshId = freshIds();
    });

    it('returns an added entry by id, equal to what was added', async () => {
      const store = fresh();
      const entry = historyEntry('evt_1');
      await store.add(entry);
      expect(await store.get('evt_1')).toEqual(entry);
      expect(await store.get('evt_unknown')).toBeUndefined();
    });

    it('lists entries newest first', async () => {
      const store = fresh();
      for (const id of ['a', 'b', 'c']) await store.add(historyEntry(id));
      expect(ids((await store.list({ limit: 10 })).items)).toEqual(['c', 'b', 'a']);
    });

    it('pages through every entry once with nextCursor, ending with null', async () => {
      const store = fresh();
      for (let i = 0; i < 7; i += 1) await store.add(historyEntry(`e${i}`, { status: i % 3 === 0 ? 'rejected' : 'accepted' }));
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages += 1) {
        const page = await store.list({ limit: 3, cursor });
        seen.push(...ids(page.items));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(['e6', 'e5', 'e4', 'e3', 'e2', 'e1', 'e0']);
    });

    it('gives no next cursor when the page holds exactly the remaining entries', async () => {
      const store = fresh();
      for (const id of ['a', 'b']) await store.add(historyEntry(id));
      expect((await store.list({ limit: 2 })).nextCursor).toBeNull();
    });

    it('filters by event type and by status, alone and together', async () => {
      const store = fresh();
      await store.add(historyEntry('a1', { eventType: 'a' }));
      await store.add(historyEntry('b1', { eventType: 'b' }));
      await store.add(historyEntry('a2', { eventType: 'a', status: 'rejected' }));
      await store.add(historyEntry('n1', { eventType: null }));
      expect(ids((await store.list({ limit: 10, eventType: 'a' })).items)).toEqual(['a2', 'a1']);
      expect(ids((await store.list({ limit: 10, status: 'rejected' })).items)).toEqual(['a2']);
      expect(ids((await store.list({ limit: 10, status: 'accepted', eventType: 'a' })).items)).toEqual(['a1']);
      expect(ids((await store.list({ limit: 10, status: 'accepted' })).items)).toEqual(['n1', 'b1', 'a1']);
    });

    it('pages a filtered list with its cursor', async () => {
      const store = fresh();
      for (let i = 0; i < 6; i += 1) await store.add(historyEntry(`x${i}`, { eventType: i % 2 === 0 ? 'even' : 'odd' }));
      const first = await store.list({ limit: 2, eventType: 'even' });
      expect(ids(first.items)).toEqual(['x4', 'x2']);
      const second = await store.list({ limit: 2, eventType: 'even', cursor: first.nextCursor! });
      expect(ids(second.items)).toEqual(['x0']);
      expect(second.nextCursor).toBeNull();
    });

    it('pages an event-type list that mixes accepted and rejected entries in the order they arrived', async () => {
      const store = fresh();
      for (let i = 0; i < 7; i += 1) await store.add(historyEntry(`t${i}`, { eventType: 'mixed', status: i % 3 === 0 ? 'rejected' : 'accepted' }));
      await store.add(historyEntry('other', { eventType: 'other' }));
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages += 1) {
        const page = await store.list({ limit: 2, eventType: 'mixed', cursor });
        seen.push(...ids(page.items));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(seen).toEqual(['t6', 't5', 't4', 't3', 't2', 't1', 't0']);
    });

    it('throws a ValidationError for a cursor it did not issue', async () => {
      const store = fresh();
      await expect(store.list({ limit: 10, cursor: 'not-a-cursor' })).rejects.toThrow(ValidationError);
    });

    it('evicts the oldest accepted entry when the accepted list is full', async () => {
      const store = fresh({ limit: 3 });
      for (const id of ['a', 'b', 'c', 'd']) await store.add(historyEntry(id));
      await store.enforceLimits?.();
      expect(ids((await store.list({ limit: 10 })).items)).toEqual(['d', 'c', 'b']);
      expect(await store.get('a')).toBeUndefined();
      expect(await store.counts()).toEqual({ accepted: 3, rejected: 0 });
    });

    it('never evicts accepted entries for a flood of rejected ones', async () => {
      const store = fresh({ limit: 2, rejectedLimit: 2 });
      await store.add(historyEntry('ok'));
      for (let i = 0; i < 10; i += 1) await store.add(historyEntry(`rej${i}`, { status: 'rejected' }));
      await store.enforceLimits?.();
      expect(await store.get('ok')).toBeDefined();
      expect(ids((await store.list({ limit: 10, status: 'rejected' })).items)).toEqual(['rej9', 'rej8']);
      expect(await store.counts()).toEqual({ accepted: 1, rejected: 2 });
    });

    it('counts duplicates of accepted entries only', async () => {
      const store = fresh();
      await store.add(historyEntry('acc'));
      await store.add(historyEntry('rej', { status: 'rejected' }));
      await store.recordDuplicate('acc');
      await store.recordDuplicate('acc');
      await store.recordDuplicate('rej');
      await store.recordDuplicate('unknown');
      expect((await store.get('acc'))!.duplicates).toBe(2);
      expect((await store.get('rej'))!.duplicates).toBe(0);
    });

    it('records the processing outcome of an entry', async () => {
      const store = fresh();
      await store.add(historyEntry('evt'));
      await store.setProcessing('evt', { state: 'failed', error: 'boom', durationMs: 12 });
      expect((await store.get('evt'))!.processing).toEqual({ state: 'failed', error: 'boom', durationMs: 12 });
    });

    it('hands back accepted events still pending processing, oldest first, with their raw bodies', async () => {
      const store = fresh();
      await store.add(historyEntry('first'), Buffer.from('{"n":1}'));
      await store.add(historyEntry('done'), Buffer.from('{"n":2}'));
      await store.add(historyEntry('rejected', { status: 'rejected' }), Buffer.from('bad'));
      await store.add(historyEntry('second'), Buffer.from('{"n":3}'));
      await store.setProcessing('done', { state: 'done', durationMs: 1 });
      const pending = await store.pendingProcessing();
      expect(pending.map((e) => e.id)).toEqual(['first', 'second']);
      expect(pending[0]!.rawBody.toString()).toBe('{"n":1}');
      expect(pending[0]!.payload).toEqual({ id: 'first', nested: { list: [1, 2, 3] } });
      expect(pending[0]!.eventType).toBe('user.created');
    });

    it('hands back no evicted event as pending, and keeps no outcome of it', async () => {
      const store = fresh({ limit: 1 });
      await store.add(historyEntry('evicted'), Buffer.from('old'));
      await store.setProcessing('evicted', { state: 'failed', error: 'boom' });
      await store.enforceLimits?.();
      await store.add(historyEntry('pending-evicted'), Buffer.from('old'));
      await store.enforceLimits?.();
      await store.add(historyEntry('kept'), Buffer.from('new'));
      await store.enforceLimits?.();
      expect((await store.pendingProcessing()).map((e) => [e.id, e.rawBody.toString()])).toEqual([['kept', 'new']]);
      expect(await store.get('evicted')).toBeUndefined();
      expect((await store.get('kept'))!.processing).toEqual({ state: 'pending' });
    });

    it('answers for an id added again with the new entry, its processing state and its raw body', async () => {
      const store = fresh();
      await store.add(historyEntry('evt'), Buffer.from('first'));
      await store.setProcessing('evt', { state: 'done', durationMs: 1 });
      await store.add(historyEntry('evt'), Buffer.from('second'));
      expect((await store.get('evt'))!.processing).toEqual({ state: 'pending' });
      expect((await store.pendingProcessing()).map((e) => e.rawBody.toString())).toEqual(['second']);
    });

    it('hands back nothing once every event is processed', async () => {
      const store = fresh();
      await store.add(historyEntry('evt'), Buffer.from('x'));
      await store.setProcessing('evt', { state: 'done', durationMs: 1 });
      expect(await store.pendingProcessing()).toEqual([]);
    });

    it('clears every entry', async () => {
      const store = fresh();
      await store.add(historyEntry('a'));
      await store.add(historyEntry('r', { status: 'rejected' }));
      await store.clear();
      expect(await store.counts()).toEqual({ accepted: 0, rejected: 0 });
      expect((await store.list({ limit: 10 })).items).toEqual([]);
      expect(await store.get('a')).toBeUndefined();
    });

    it('removes entries older than the retention on sweep, and only those', async () => {
      const store = fresh({ retentionDays: 1 });
      const day = 86_400_000;
      await store.add(historyEntry('old', { receivedAt: new Date(T0 - 2 * day).toISOString() }));
      await store.add(historyEntry('old-rejected', { status: 'rejected', receivedAt: new Date(T0 - 2 * day).toISOString() }));
      await store.add(historyEntry('recent', { receivedAt: new Date(T0 - day / 2).toISOString() }));
      expect(await store.sweep(T0)).toBe(2);
      expect(ids((await store.list({ limit: 10 })).items)).toEqual(['recent']);
      expect(await store.counts()).toEqual({ accepted: 1, rejected: 0 });
    });

    it('answers a write with the entry\'s changed fields, so the feed never reads the entry back', async () => {
      const store = fresh();
      await store.add(historyEntry('evt'));
      expect(await store.recordDuplicate('evt')).toEqual({ id: 'evt', duplicates: 1, processing: { state: 'pending' } });
      expect(await store.setProcessing('evt', { state: 'done', durationMs: 2 })).toEqual({ id: 'evt', duplicates: 1, processing: { state: 'done', durationMs: 2 } });
      expect(await store.recordDuplicate('evt')).toEqual({ id: 'evt', duplicates: 2, processing: { state: 'done', durationMs: 2 } });
      expect(await store.setProcessing('unknown', { state: 'done' })).toBeUndefined();
      expect(await store.recordDuplicate('unknown')).toBeUndefined();
    });

    it('accepts an entry with its keys, and answers a later one under any of those keys as a duplicate of it', async () => {
      const store = fresh();
      expect(await store.accept(historyEntry('evt_1'), Buffer.from('{"n":1}'), ['id:evt_1', 'sig:abc'], T0, freshId)).toEqual({ stored: true, id: 'evt_1' });
      const again = await store.accept(historyEntry('evt_other'), Buffer.from('{"n":1}'), ['id:evt_other', 'sig:abc'], T0 + 1000, freshId);
      expect(again).toEqual({ stored: false, duplicateOf: 'evt_1', update: { id: 'evt_1', duplicates: 1, processing: { state: 'pending' } } });
      expect(await store.get('evt_other')).toBeUndefined();
      expect((await store.get('evt_1'))!.duplicates).toBe(1);
      expect((await store.pendingProcessing()).map((e) => [e.id, e.rawBody.toString()])).toEqual([['evt_1', '{"n":1}']]);
    });

    it('answers an id already accepted as a duplicate even once its keys have expired', async () => {
      const store = fresh();
      await store.accept(historyEntry('evt_1'), Buffer.from('{}'), ['id:evt_1'], T0, freshId);
      const later = await store.accept(historyEntry('evt_1'), Buffer.from('{}'), ['id:evt_1'], T0 + 400 * 86_400_000, freshId);
      expect(later).toMatchObject({ stored: false, duplicateOf: 'evt_1' });
      expect(await store.counts()).toEqual({ accepted: 1, rejected: 0 });
    });

    it('stores an event again once its keys have expired and its entry is gone', async () => {
      const store = fresh({ limit: 1 });
      await store.accept(historyEntry('evt_1'), Buffer.from('{}'), ['sig:abc'], T0, freshId);
      await store.accept(historyEntry('evt_2'), Buffer.from('{}'), ['sig:def'], T0, freshId); // evicts evt_1
      await store.enforceLimits?.();
      expect(await store.accept(historyEntry('evt_3'), Buffer.from('{}'), ['sig:abc'], T0 + 400 * 86_400_000, freshId)).toEqual({ stored: true, id: 'evt_3' });
    });

    it('stores one of two concurrent accepts with a key in common, and answers the other as its duplicate', async () => {
      const store = fresh();
      const [first, second] = await Promise.all([
        store.accept(historyEntry('evt_a'), Buffer.from('{}'), ['id:same'], T0, freshId),
        store.accept(historyEntry('evt_b'), Buffer.from('{}'), ['id:same'], T0, freshId),
      ]);
      expect(first).toEqual({ stored: true, id: 'evt_a' });
      expect(second).toMatchObject({ stored: false, duplicateOf: 'evt_a' });
      expect(ids((await store.list({ limit: 10 })).items)).toEqual(['evt_a']);
    });

    it('does not take a rejected entry with the same id for an earlier event: stores under a fresh id, and keeps the rejected one', async () => {
      const store = fresh();
      await store.add(historyEntry('evt_1', { status: 'rejected' }));
      expect(await store.accept(historyEntry('evt_1'), Buffer.from('{}'), ['id:evt_1'], T0, freshId)).toEqual({ stored: true, id: 'evt_fresh1' });
      expect((await store.get('evt_1'))?.status).toBe('rejected');
      expect(await store.get('evt_fresh1')).toMatchObject({ id: 'evt_fresh1', status: 'accepted' });
    });

    it('stores an event whose id another scheme\'s event holds under a fresh id, and keys it to that id', async () => {
      const store = fresh();
      await store.accept(historyEntry('evt_1', { scheme: 'github', payload: 'first' }), Buffer.from('{}'), ['github:id:evt_1'], T0, freshId);
      const second = await store.accept(historyEntry('evt_1', { scheme: 'native', payload: 'second' }), Buffer.from('{"n":2}'), ['native:id:evt_1'], T0, freshId);
      expect(second).toEqual({ stored: true, id: 'evt_fresh1' });
      expect(await store.get('evt_1')).toMatchObject({ scheme: 'github', payload: 'first', duplicates: 0 });
      expect(await store.get('evt_fresh1')).toMatchObject({ id: 'evt_fresh1', scheme: 'native', payload: 'second' });
      // The second event's own retry is a duplicate of its own entry, not of the first.
      const retry = await store.accept(historyEntry('evt_1', { scheme: 'native' }), Buffer.from('{"n":2}'), ['native:id:evt_1'], T0 + 1000, freshId);
      expect(retry).toMatchObject({ stored: false, duplicateOf: 'evt_fresh1' });
      expect((await store.pendingProcessing()).map((e) => [e.id, e.rawBody.toString()])).toEqual([
        ['evt_1', '{}'],
        ['evt_fresh1', '{"n":2}'],
      ]);
    });

    it('answers the same scheme\'s accepted entry holding the id as the earlier event, never renaming it', async () => {
      const store = fresh();
      await store.accept(historyEntry('evt_1', { scheme: 'stripe' }), Buffer.from('{}'), ['stripe:id:evt_1'], T0, freshId);
      // Its keys forgotten (another key set): the id alone says it is the same event.
      const later = await store.accept(historyEntry('evt_1', { scheme: 'stripe' }), Buffer.from('{}'), ['stripe:signed:other'], T0, freshId);
      expect(later).toMatchObject({ stored: false, duplicateOf: 'evt_1' });
      expect(await store.counts()).toEqual({ accepted: 1, rejected: 0 });
    });

    it('stores both of two concurrent accepts of one id from two schemes, under two ids', async () => {
      const store = fresh();
      const outcomes = await Promise.all([
        store.accept(historyEntry('evt_same', { scheme: 'native', payload: 'n' }), Buffer.from('{}'), ['native:id:evt_same'], T0, freshId),
        store.accept(historyEntry('evt_same', { scheme: 'github', payload: 'g' }), Buffer.from('{}'), ['github:id:evt_same'], T0, freshId),
      ]);
      expect(outcomes.map((o) => o.stored)).toEqual([true, true]);
      const storedIds = outcomes.map((o) => (o.stored ? o.id : ''));
      expect([...storedIds].sort()).toEqual(['evt_fresh1', 'evt_same']);
      const entries = await Promise.all(storedIds.map((id) => store.get(id)));
      expect(entries.map((e) => e?.payload).sort()).toEqual(['g', 'n']);
      expect(await store.counts()).toEqual({ accepted: 2, rejected: 0 });
    });

    it('filters by a prefix ending in .*, and by a plain value exactly', async () => {
      const store = fresh();
      for (const [id, eventType] of [['p1', 'invoice.paid'], ['x1', 'invoices'], ['p2', 'invoice.payment.failed'], ['n1', 'invoice'], ['o1', 'order.created'], ['z1', null]] as const) {
        await store.add(historyEntry(id, { eventType }));
      }
      await store.add(historyEntry('r1', { eventType: 'invoice.voided', status: 'rejected' }));
      expect(ids((await store.list({ limit: 10, eventType: 'invoice.*' })).items)).toEqual(['r1', 'p2', 'p1']);
      expect(ids((await store.list({ limit: 10, eventType: 'invoice.*', status: 'accepted' })).items)).toEqual(['p2', 'p1']);
      expect(ids((await store.list({ limit: 10, eventType: 'invoice' })).items)).toEqual(['n1']);
      const first = await store.list({ limit: 1, eventType: 'invoice.*' });
      expect(ids((await store.list({ limit: 10, eventType: 'invoice.*', cursor: first.nextCursor! })).items)).toEqual(['p2', 'p1']);
    });

    it('evicts the oldest accepted entries once their weight passes maxBytes, keeping rejected ones', async () => {
      const entry = (id: string): HistoryEntry => historyEntry(id, { sizeBytes: 10_000 });
      const store = fresh({ maxBytes: entryWeight(entry('x')) * 2 + 1 });
      await store.add(historyEntry('rej', { status: 'rejected' }));
      for (const id of ['a', 'b', 'c']) await store.add(entry(id));
      await store.enforceLimits?.();
      expect(ids((await store.list({ limit: 10, status: 'accepted' })).items)).toEqual(['c', 'b']);
      expect(await store.get('a')).toBeUndefined();
      expect(await store.counts()).toEqual({ accepted: 2, rejected: 1 });
    });

    it('keeps the newest entry even when it alone weighs more than maxBytes', async () => {
      const store = fresh({ maxBytes: 100 });
      await store.add(historyEntry('small', { sizeBytes: 1 }));
      await store.add(historyEntry('large', { sizeBytes: 5000 }));
      await store.enforceLimits?.();
      expect(ids((await store.list({ limit: 10 })).items)).toEqual(['large']);
    });

    it('stops a page before the entry that would pass its maxBytes, with a cursor to the rest', async () => {
      const store = fresh();
      for (const id of ['a', 'b', 'c', 'd']) await store.add(historyEntry(id, { sizeBytes: 1000 }));
      const weight = entryWeight(historyEntry('x', { sizeBytes: 1000 }));
      const first = await store.list({ limit: 10, maxBytes: weight * 2 + 10 });
      expect(ids(first.items)).toEqual(['d', 'c']);
      const second = await store.list({ limit: 10, maxBytes: weight * 2 + 10, cursor: first.nextCursor! });
      expect(ids(second.items)).toEqual(['b', 'a']);
      expect(second.nextCursor).toBeNull();
      expect(ids((await store.list({ limit: 10, maxBytes: 1 })).items)).toEqual(['d']);
    });

    it('keeps everything on sweep when the retention is 0', async () => {
      const store = fresh({ retentionDays: 0 });
      await store.add(historyEntry('ancient', { receivedAt: new Date(0).toISOString() }));
      expect(await store.sweep(T0)).toBe(0);
      expect(await store.get('ancient')).toBeDefined();
    });
  });
}
