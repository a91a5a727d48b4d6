import { ValidationError } from '../../src/errors';
import type { DeliveryRecord, DeliveryStore } from '../../src/sender/delivery-store';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

export function deliveryRecord(id: string, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  const createdAt = new Date(T0).toISOString();
  return {
    id,
    eventId: `evt_${id}`,
    url: 'http://127.0.0.1:9/hook',
    eventType: 'user.created',
    scheme: 'native',
    status: 'pending',
    createdAt,
    updatedAt: createdAt,
    maxAttempts: 5,
    timeoutMs: 1000,
    attempts: [],
    nextAttemptAt: createdAt,
    error: null,
    ...overrides,
  };
}

const body = (text: string): Buffer => Buffer.from(text);
const ids = (records: readonly DeliveryRecord[]): string[] => records.map((r) => r.id);

/** The delivery contract, run against every backend. `makeStore` returns a fresh, empty store. */
export function describeDeliveryStore(name: string, makeStore: (options: { limit: number }) => DeliveryStore, cleanup: () => void = () => undefined): void {
  describe(`DeliveryStore contract: ${name}`, () => {
    afterEach(cleanup);

    it('returns a created record and its content', () => {
      const store = makeStore({ limit: 10 });
      const record = deliveryRecord('d1');
      store.create(record, { body: body('{"a":1}'), signAll: true });
      expect(store.get('d1')).toEqual(record);
      const content = store.content('d1')!;
      expect(content.body.toString()).toBe('{"a":1}');
      expect(content.signAll).toBe(true);
      expect(content.secret).toBeUndefined();
      expect(store.get('unknown')).toBeUndefined();
      expect(store.content('unknown')).toBeUndefined();
    });

    it('gives back a per-request secret', () => {
      const store = makeStore({ limit: 10 });
      store.create(deliveryRecord('d1'), { body: body('{}'), secret: 'per-request', signAll: false });
      expect(store.content('d1')!.secret).toBe('per-request');
    });

    it('persists attempts, status and schedule on save', () => {
      const store = makeStore({ limit: 10 });
      const record = deliveryRecord('d1');
      store.create(record, { body: body('{}'), signAll: false });
      const changed = store.get('d1')!;
      changed.attempts.push({ number: 1, series: 1, startedAt: new Date(T0).toISOString(), durationMs: 5, statusCode: 500, responseBody: 'no' });
      changed.nextAttemptAt = new Date(T0 + 1000).toISOString();
      store.save(changed);
      expect(store.get('d1')!.attempts).toHaveLength(1);
      expect(store.get('d1')!.nextAttemptAt).toBe(new Date(T0 + 1000).toISOString());
      changed.status = 'delivered';
      changed.nextAttemptAt = null;
      store.save(changed);
      expect(store.get('d1')!.status).toBe('delivered');
      expect(store.counts()).toEqual({ pending: 0, delivered: 1, failed: 0 });
      changed.status = 'pending'; // a retry starts a new series
      store.save(changed);
      expect(store.counts()).toEqual({ pending: 1, delivered: 0, failed: 0 });
    });

    it('lists newest first, pages with a cursor and filters by status', () => {
      const store = makeStore({ limit: 10 });
      for (const id of ['a', 'b', 'c']) store.create(deliveryRecord(id), { body: body('{}'), signAll: false });
      const b = store.get('b')!;
      b.status = 'failed';
      store.save(b);
      const first = store.list({ limit: 2 });
      expect(ids(first.items)).toEqual(['c', 'b']);
      const second = store.list({ limit: 2, cursor: first.nextCursor! });
      expect(ids(second.items)).toEqual(['a']);
      expect(second.nextCursor).toBeNull();
      expect(ids(store.list({ limit: 10, status: 'pending' }).items)).toEqual(['c', 'a']);
      expect(() => store.list({ limit: 10, cursor: 'x' })).toThrow(ValidationError);
    });

    it('lists pending deliveries oldest first', () => {
      const store = makeStore({ limit: 10 });
      for (const id of ['a', 'b', 'c']) store.create(deliveryRecord(id), { body: body('{}'), signAll: false });
      const b = store.get('b')!;
      b.status = 'delivered';
      store.save(b);
      expect(ids(store.pending())).toEqual(['a', 'c']);
    });

    it('evicts the oldest finished deliveries past the limit, never a pending one', () => {
      const store = makeStore({ limit: 2 });
      store.create(deliveryRecord('pending'), { body: body('{}'), signAll: false });
      for (const id of ['f1', 'f2', 'f3']) {
        store.create(deliveryRecord(id), { body: body('{}'), signAll: false });
        const record = store.get(id)!;
        record.status = 'failed';
        store.save(record);
      }
      expect(store.get('f1')).toBeUndefined();
      expect(ids(store.list({ limit: 10 }).items)).toEqual(['f3', 'f2', 'pending']);
      expect(store.counts()).toEqual({ pending: 1, delivered: 0, failed: 2 });
    });
  });
}
