import { ValidationError } from '../../src/errors';
import type { Attempt, ClaimedDelivery, DeliveryRecord, DeliveryStore } from '../../src/sender/delivery-store';

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

/**
 * A store whose finished-delivery limit is enforced by a periodic job (`enforceLimits`, PostgreSQL) rather than
 * on every write: the contract runs that job before it looks.
 */
export type LimitedDeliveryStore = DeliveryStore & { enforceLimits?(): Promise<unknown> };

export interface DeliveryContractOptions {
  /** The store is shared by several instances: `interruptWaiting` marks nothing (see the contract). */
  readonly shared?: boolean;
}

/** The delivery contract, run against every backend. `makeStore` returns a fresh, empty store. */
export function describeDeliveryStore(
  name: string,
  makeStore: (options: { limit: number }) => LimitedDeliveryStore,
  cleanup: () => void | Promise<void> = () => undefined,
  { shared = false }: DeliveryContractOptions = {},
): void {
  describe(`DeliveryStore contract: ${name}`, () => {
    afterEach(cleanup);

    const attempt = (number: number, statusCode = 500): Attempt => ({ number, series: 1, startedAt: new Date(T0).toISOString(), durationMs: 5, statusCode, responseBody: 'no' });
    const claim = (store: DeliveryStore, nowMs = T0, limit = 10, token = 'tok') => store.claimDue({ nowMs, limit, token, leaseMarginMs: 1000 });

    it('returns a created record and its content', async () => {
      const store = makeStore({ limit: 10 });
      const record = deliveryRecord('d1');
      await store.create(record, { body: body('{"a":1}'), signAll: true });
      expect(await store.get('d1')).toEqual(record);
      const content = (await store.content('d1'))!;
      expect(content.body.toString()).toBe('{"a":1}');
      expect(content.signAll).toBe(true);
      expect(content.secret).toBeUndefined();
      expect(await store.get('unknown')).toBeUndefined();
      expect(await store.content('unknown')).toBeUndefined();
    });

    it('gives back the extra headers with the content, also when the delivery is claimed from the outbox', async () => {
      const store = makeStore({ limit: 10 });
      await store.create(deliveryRecord('d1'), { body: body('{}'), signAll: false, headers: { 'x-tenant': 'acme', 'content-type': 'text/plain' } });
      expect((await store.content('d1'))!.headers).toEqual({ 'x-tenant': 'acme', 'content-type': 'text/plain' });
      const [claimed] = await claim(store, Date.parse(deliveryRecord('d1').nextAttemptAt!) + 1);
      expect(claimed!.content!.headers).toEqual({ 'x-tenant': 'acme', 'content-type': 'text/plain' });
    });

    it('gives back a per-request secret', async () => {
      const store = makeStore({ limit: 10 });
      await store.create(deliveryRecord('d1'), { body: body('{}'), secret: 'per-request', signAll: false });
      expect((await store.content('d1'))!.secret).toBe('per-request');
    });

    it('persists attempts, status and schedule on save, and counts by status', async () => {
      const store = makeStore({ limit: 10 });
      await store.create(deliveryRecord('d1'), { body: body('{}'), signAll: false });
      const waiting = { ...(await store.get('d1'))!, attempts: [attempt(1)], nextAttemptAt: new Date(T0 + 1000).toISOString() };
      expect(await store.save(waiting)).toBe(true);
      expect((await store.get('d1'))!.attempts).toHaveLength(1);
      expect((await store.get('d1'))!.nextAttemptAt).toBe(new Date(T0 + 1000).toISOString());
      const delivered: DeliveryRecord = { ...waiting, status: 'delivered', nextAttemptAt: null };
      await store.save(delivered);
      expect((await store.get('d1'))!.status).toBe('delivered');
      expect(await store.counts()).toEqual({ pending: 0, delivered: 1, failed: 0 });
      await store.save({ ...delivered, status: 'pending', nextAttemptAt: new Date(T0).toISOString() }); // a retry starts a new series
      expect(await store.counts()).toEqual({ pending: 1, delivered: 0, failed: 0 });
    });

    it('lists newest first, pages with a cursor and filters by status', async () => {
      const store = makeStore({ limit: 10 });
      for (const id of ['a', 'b', 'c']) await store.create(deliveryRecord(id), { body: body('{}'), signAll: false });
      await store.save({ ...(await store.get('b'))!, status: 'failed', nextAttemptAt: null });
      const first = await store.list({ limit: 2 });
      expect(ids(first.items)).toEqual(['c', 'b']);
      const second = await store.list({ limit: 2, cursor: first.nextCursor! });
      expect(ids(second.items)).toEqual(['a']);
      expect(second.nextCursor).toBeNull();
      expect(ids((await store.list({ limit: 10, status: 'pending' })).items)).toEqual(['c', 'a']);
      await expect(store.list({ limit: 10, cursor: 'x' })).rejects.toThrow(ValidationError);
    });

    it('evicts the oldest finished deliveries past the limit, never a pending one', async () => {
      const store = makeStore({ limit: 2 });
      await store.create(deliveryRecord('pending'), { body: body('{}'), signAll: false });
      for (const id of ['f1', 'f2', 'f3']) {
        await store.create(deliveryRecord(id), { body: body('{}'), signAll: false });
        await store.save({ ...(await store.get(id))!, status: 'failed', nextAttemptAt: null });
        await store.enforceLimits?.();
      }
      expect(await store.get('f1')).toBeUndefined();
      expect(ids((await store.list({ limit: 10 })).items)).toEqual(['f3', 'f2', 'pending']);
      expect(await store.counts()).toEqual({ pending: 1, delivered: 0, failed: 2 });
    });

    describe('the outbox', () => {
      it('claims pending deliveries that are due, earliest due first, up to the limit, with their content', async () => {
        const store = makeStore({ limit: 10 });
        const at = (ms: number) => new Date(T0 + ms).toISOString();
        await store.create(deliveryRecord('later', { nextAttemptAt: at(5000) }), { body: body('later'), signAll: false });
        await store.create(deliveryRecord('second', { nextAttemptAt: at(200) }), { body: body('second'), signAll: false });
        await store.create(deliveryRecord('first', { nextAttemptAt: at(100) }), { body: body('first'), signAll: false });
        await store.create(deliveryRecord('done', { status: 'delivered', nextAttemptAt: null }), { body: body('{}'), signAll: false });

        expect(await store.nextDueMs()).toBe(T0 + 100);
        expect(await claim(store, T0 + 50)).toEqual([]);
        const claimed = await claim(store, T0 + 1000, 1);
        expect(claimed.map((c) => [c.record.id, c.content!.body.toString()])).toEqual([['first', 'first']]);
        expect(ids((await claim(store, T0 + 1000)).map((c) => c.record))).toEqual(['second']);
        expect(await store.nextDueMs()).toBe(T0 + 5000);
      });

      it('never hands out a claimed delivery again while its lease holds', async () => {
        const store = makeStore({ limit: 10 });
        await store.create(deliveryRecord('d1'), { body: body('{}'), signAll: false });
        expect(await claim(store, T0, 10, 'first')).toHaveLength(1);
        expect(await claim(store, T0 + 500, 10, 'second')).toEqual([]);
        expect(await store.nextDueMs()).toBeNull();
      });

      it('records the outcome only under the claim token that holds, and schedules the next attempt', async () => {
        const store = makeStore({ limit: 10 });
        await store.create(deliveryRecord('d1'), { body: body('{}'), signAll: false });
        const [{ record }] = (await claim(store, T0, 10, 'mine')) as [ClaimedDelivery];
        const retry: DeliveryRecord = { ...record, attempts: [attempt(1)], nextAttemptAt: new Date(T0 + 2000).toISOString() };

        expect(await store.save(retry)).toBe(false); // a claim holds it
        expect(await store.complete(retry, 'not-mine')).toBe(false);
        expect((await store.get('d1'))!.attempts).toEqual([]);
        expect(await store.complete(retry, 'mine')).toBe(true);
        expect((await store.get('d1'))!.attempts).toHaveLength(1);
        expect(await store.complete(retry, 'mine')).toBe(false); // the claim was released by the first
        expect(await store.nextDueMs()).toBe(T0 + 2000);
        expect(await claim(store, T0 + 1999)).toEqual([]);
        expect(await claim(store, T0 + 2000)).toHaveLength(1);
      });

      it('takes over a delivery whose lease has expired, and refuses the late outcome of the first claim', async () => {
        const store = makeStore({ limit: 10 });
        await store.create(deliveryRecord('d1', { timeoutMs: 1000 }), { body: body('{}'), signAll: false });
        await claim(store, T0, 10, 'first'); // lease: timeout 1000 + margin 1000
        const expired = T0 + 2000;
        expect(await claim(store, expired - 1, 10, 'second')).toEqual([]);
        const takenOver = await claim(store, expired, 10, 'second');
        expect(ids(takenOver.map((c) => c.record))).toEqual(['d1']);
        const late = { ...takenOver[0]!.record, status: 'failed' as const, nextAttemptAt: null };
        expect(await store.complete(late, 'first')).toBe(false);
        expect(await store.complete({ ...late, status: 'delivered' }, 'second')).toBe(true);
        expect((await store.get('d1'))!.status).toBe('delivered');
      });

      it('stores a delivery already claimed when created with a lease', async () => {
        const store = makeStore({ limit: 10 });
        await store.create(deliveryRecord('d1'), { body: body('{}'), signAll: false }, { token: 'direct', leaseUntilMs: T0 + 60_000 });
        expect(await claim(store)).toEqual([]);
        expect(await store.complete({ ...deliveryRecord('d1'), status: 'delivered', nextAttemptAt: null }, 'direct')).toBe(true);
        expect(await store.counts()).toEqual({ pending: 0, delivered: 1, failed: 0 });
      });

      it('gives back a delivery waiting for its retry exactly: record, body bytes and secret, when read and when claimed', async () => {
        const store = makeStore({ limit: 10 });
        // Every byte value, and text outside ASCII in the record: whatever a store packs must come back as it was.
        const bytes = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 7) % 256));
        const content = { body: bytes, secret: 'per-request', signAll: true };
        const record = deliveryRecord('w1', { eventType: 'commande.payée ✓', url: 'http://127.0.0.1:9/hook?q=é' });
        await store.create(record, content, { token: 'first', leaseUntilMs: T0 + 60_000 });
        // An attempt names where it went and, when its endpoint's scheme was changed, the scheme it was signed in.
        const sent = { ...attempt(1, 503), responseBody: 'occupé', url: 'https://b.example/new?q=é', scheme: 'standard' as const };
        const waiting: DeliveryRecord = { ...record, attempts: [sent], nextAttemptAt: new Date(T0 + 5000).toISOString() };
        expect(await store.complete(waiting, 'first')).toBe(true);
        await store.create(deliveryRecord('w2', { eventType: 'commande.payée ✓', attempts: [attempt(1)] }), { body: body('{"n":2}'), signAll: false });

        expect(await store.get('w1')).toEqual(waiting);
        expect((await store.list({ limit: 10, status: 'pending' })).items).toEqual([await store.get('w2'), waiting]);
        const read = (await store.content('w1'))!;
        expect(Buffer.compare(read.body, bytes)).toBe(0);
        expect(read).toMatchObject({ secret: 'per-request', signAll: true });
        expect((await store.content('w2'))!.body.toString()).toBe('{"n":2}');
        expect((await store.content('w2'))!.secret).toBeUndefined();

        const claimed = await claim(store, T0 + 5000);
        const w1 = claimed.find((c) => c.record.id === 'w1')!;
        expect(w1.record).toEqual(waiting);
        expect(Buffer.compare(w1.content!.body, bytes)).toBe(0);
        expect(w1.content).toMatchObject({ secret: 'per-request', signAll: true });
      });

      it(shared ? 'marks no waiting delivery interrupted: it belongs to no instance' : 'marks the waiting deliveries interrupted, not the claimed ones nor the finished', async () => {
        const store = makeStore({ limit: 10 });
        const atIso = new Date(T0 + 9000).toISOString();
        await store.create(deliveryRecord('waiting', { attempts: [attempt(1)] }), { body: body('{}'), signAll: false });
        await store.create(deliveryRecord('claimed'), { body: body('{}'), signAll: false }, { token: 't', leaseUntilMs: T0 + 60_000 });
        await store.create(deliveryRecord('done', { status: 'failed', nextAttemptAt: null }), { body: body('{}'), signAll: false });
        await store.interruptWaiting(atIso);
        if (shared) expect((await store.get('waiting'))!.interruptedAt).toBeUndefined();
        else expect(await store.get('waiting')).toMatchObject({ status: 'pending', interruptedAt: atIso, updatedAt: atIso, error: 'server stopped before attempt 2' });
        expect((await store.get('claimed'))!.interruptedAt).toBeUndefined();
        expect((await store.get('done'))!.interruptedAt).toBeUndefined();
        expect(await store.nextDueMs()).toBe(T0); // still due as it was
      });
    });
  });
}
