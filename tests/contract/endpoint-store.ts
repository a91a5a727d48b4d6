import { ValidationError } from '../../src/errors';
import type { Endpoint, EndpointStore, EventRecord } from '../../src/endpoints/endpoint-store';
import { endpointLookup } from '../../src/endpoints/secrets';
import type { DeliveryStore } from '../../src/sender/delivery-store';
import { newDelivery, type NewDelivery } from '../../src/sender/envelope';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

export function endpoint(id: string, overrides: Partial<Endpoint> = {}): Endpoint {
  const at = new Date(T0).toISOString();
  return {
    id,
    appId: 'default',
    url: `https://${id}.example/hooks`,
    description: '',
    eventTypes: [],
    scheme: 'native',
    enabled: true,
    rateLimit: null,
    headers: {},
    metadata: {},
    retrySchedule: 'exponential',
    createdAt: at,
    updatedAt: at,
    disabledReason: null,
    lastSuccessAt: null,
    lastFailureAt: null,
    failingSince: null,
    failuresSinceSuccess: 0,
    ...overrides,
  };
}

const event = (appId: string, eventId: string, deliveries: [string, string][], atMs = T0): EventRecord => ({
  appId,
  eventId,
  eventType: 'invoice.paid',
  createdAt: new Date(atMs).toISOString(),
  deliveries: deliveries.map(([deliveryId, endpointId]) => ({ deliveryId, endpointId })),
});

/**
 * The deliveries a fan-out would store for `e`, one per planned delivery: without the endpoint's extra headers,
 * which each attempt reads from the endpoint (they may hold credentials, and must not outlive a PATCH).
 */
export const outboxOf = (e: EventRecord): NewDelivery[] =>
  e.deliveries.map(({ deliveryId, endpointId }) =>
    newDelivery(
      {
        url: `https://${endpointId}.example/hooks`,
        eventType: e.eventType,
        payload: { invoice: 7 },
        scheme: 'native',
        source: { kind: 'endpoint', endpointId, appId: e.appId },
      },
      { id: deliveryId, eventId: e.eventId },
      e.createdAt,
      { maxAttempts: 5, timeoutMs: 1000 },
    ),
  );

export interface EndpointStores {
  readonly store: EndpointStore;
  /** The delivery store of the same backend: `recordEvent` writes into it. */
  readonly deliveries: DeliveryStore;
}

/**
 * The endpoint contract, run against every backend (stores.test.ts, postgres-stores.test.ts). `makeStores`
 * returns a fresh, empty endpoint store and the delivery store it writes an event's deliveries into.
 */
export function describeEndpointStore(name: string, makeStores: () => EndpointStores, cleanup: () => void | Promise<void> = () => undefined): void {
  describe(`EndpointStore contract: ${name}`, () => {
    let store: EndpointStore;
    let deliveries: DeliveryStore;
    const record = (e: EventRecord) => store.recordEvent(e, outboxOf(e));
    beforeEach(() => {
      ({ store, deliveries } = makeStores());
    });
    afterEach(cleanup);

    it('keeps an endpoint as given, and its secret apart from it', async () => {
      const e = endpoint('ep_1', { metadata: { plan: 'gold', n: [1, 2] }, headers: { 'x-a': 'b' } });
      await store.create(e, 'secret-1');
      expect(await store.get('ep_1')).toEqual(e);
      expect(await store.get('ep_none')).toBeUndefined();
      expect(await store.secrets('ep_1')).toEqual({ current: 'secret-1', previous: null, previousUntilMs: null });
      expect(await store.secrets('ep_none')).toBeUndefined();
    });

    it('lists oldest first, by appId, in pages that end with a null cursor', async () => {
      for (const [id, appId] of [['ep_1', 'a'], ['ep_2', 'b'], ['ep_3', 'a'], ['ep_4', 'a']]) await store.create(endpoint(id!, { appId }), 's');
      const first = await store.list({ appId: 'a', limit: 2 });
      expect(first.items.map((e) => e.id)).toEqual(['ep_1', 'ep_3']);
      const second = await store.list({ appId: 'a', limit: 2, cursor: first.nextCursor! });
      expect(second).toEqual({ items: [expect.objectContaining({ id: 'ep_4' })], nextCursor: null });
      expect((await store.list({ limit: 10 })).items.map((e) => e.id)).toEqual(['ep_1', 'ep_2', 'ep_3', 'ep_4']);
      await expect(store.list({ limit: 10, cursor: 'x' })).rejects.toBeInstanceOf(ValidationError);
    });

    it('updates and deletes only what exists', async () => {
      await store.create(endpoint('ep_1'), 's');
      expect(await store.update(endpoint('ep_1', { description: 'changed', enabled: false }))).toBe(true);
      expect(await store.get('ep_1')).toMatchObject({ description: 'changed', enabled: false });
      expect(await store.update(endpoint('ep_none'))).toBe(false);
      expect(await store.delete('ep_1')).toBe(true);
      expect(await store.delete('ep_1')).toBe(false);
      expect(await store.get('ep_1')).toBeUndefined();
      expect(await store.secrets('ep_1')).toBeUndefined();
    });

    it('rotates: the current secret becomes the previous one, until the time given', async () => {
      await store.create(endpoint('ep_1'), 'old');
      expect(await store.rotate('ep_1', 'new', T0 + 1000)).toBe(true);
      expect(await store.secrets('ep_1')).toEqual({ current: 'new', previous: 'old', previousUntilMs: T0 + 1000 });
      expect(await store.rotate('ep_1', 'newer', T0 + 2000)).toBe(true);
      expect(await store.secrets('ep_1')).toEqual({ current: 'newer', previous: 'new', previousUntilMs: T0 + 2000 });
      expect(await store.rotate('ep_none', 'x', T0)).toBe(false);
    });

    it("gives the fan-out a customer's enabled endpoints only", async () => {
      await store.create(endpoint('ep_1', { appId: 'a' }), 's');
      await store.create(endpoint('ep_2', { appId: 'a', enabled: false }), 's');
      await store.create(endpoint('ep_3', { appId: 'b' }), 's');
      expect((await store.enabledFor('a')).map((e) => e.id)).toEqual(['ep_1']);
      await store.update(endpoint('ep_2', { appId: 'a', enabled: true }));
      expect((await store.enabledFor('a')).map((e) => e.id)).toEqual(['ep_1', 'ep_2']);
      expect(await store.enabledFor('c')).toEqual([]);
    });

    it('records an event once per appId and eventId: the first writer wins, even concurrently', async () => {
      const first = event('a', 'evt_1', [['dlv_1', 'ep_1']]);
      const [one, two] = await Promise.all([record(first), record(event('a', 'evt_1', [['dlv_2', 'ep_1']]))]);
      expect(one).toEqual({ created: true, event: first });
      expect(two).toEqual({ created: false, event: first });
      // The loser's deliveries were not stored: only the winner's are in the outbox.
      expect(await deliveries.get('dlv_1')).toMatchObject({ eventId: 'evt_1', status: 'pending' });
      expect(await deliveries.get('dlv_2')).toBeUndefined();
      expect((await record(event('b', 'evt_1', [['dlv_3', 'ep_2']]))).created).toBe(true);
      expect(await store.getEvent('a', 'evt_1')).toEqual(first);
      expect(await store.getEvent('c', 'evt_1')).toBeUndefined();
    });

    it('stores an event with its deliveries in the outbox, due at once and with their content', async () => {
      await store.create(endpoint('ep_1'), 's');
      const e = event('default', 'evt_1', [['dlv_1', 'ep_1']]);
      await record(e);
      expect(await deliveries.get('dlv_1')).toEqual(outboxOf(e)[0]!.record);
      const [claimed] = await deliveries.claimDue({ nowMs: T0, limit: 10, token: 't', leaseMarginMs: 1000 });
      expect(claimed!.record.id).toBe('dlv_1');
      expect(JSON.parse(claimed!.content!.body.toString())).toEqual({ invoice: 7 });
      expect(claimed!.content!.headers).toBeUndefined();
    });

    it('gives the next read an endpoint as a PATCH left it, which is what each attempt of its deliveries reads', async () => {
      await store.create(endpoint('ep_1', { headers: { authorization: 'Bearer old-token' } }), 's1');
      const lookup = endpointLookup(store, () => T0);
      expect(await lookup('ep_1')).toEqual({ url: 'https://ep_1.example/hooks', scheme: 'native', headers: { authorization: 'Bearer old-token' }, secrets: ['s1'] });
      await store.update(endpoint('ep_1', { url: 'https://b.example/new', scheme: 'standard', headers: { authorization: 'Bearer new-token' } }));
      await store.rotate('ep_1', 's2', T0 + 1);
      expect(await lookup('ep_1')).toEqual({ url: 'https://b.example/new', scheme: 'standard', headers: { authorization: 'Bearer new-token' }, secrets: ['s2', 's1'] });
      await store.delete('ep_1');
      expect(await lookup('ep_1')).toBeUndefined();
    });

    it('keeps no event, index or delivery when one of its deliveries cannot be stored, and a retried post stores them all', async () => {
      await store.create(endpoint('ep_1'), 's');
      const other = outboxOf(event('default', 'evt_other', [['dlv_taken', 'ep_9']]))[0]!;
      await deliveries.create(other.record, other.content);
      // Its second delivery's id is taken: the outbox refuses it (a unique key) after the event was written.
      const failing = event('default', 'evt_1', [['dlv_1', 'ep_1'], ['dlv_taken', 'ep_1']]);
      // Read as a value: better-sqlite3's error is not always an `Error` of the test's realm for `rejects.toThrow`.
      const failure = await record(failing).then(() => 'stored', (error: unknown) => String((error as { message?: unknown }).message));
      expect(failure).toMatch(/unique|duplicate key|exists already/i);
      expect(await store.getEvent('default', 'evt_1')).toBeUndefined();
      expect(await deliveries.get('dlv_1')).toBeUndefined();
      expect(await store.deliveries('ep_1', { sinceMs: 0, untilMs: Number.MAX_SAFE_INTEGER })).toEqual([]);
      expect(await deliveries.get('dlv_taken')).toEqual(other.record);

      const retried = event('default', 'evt_1', [['dlv_2', 'ep_1']]);
      expect(await record(retried)).toEqual({ created: true, event: retried });
      expect(await deliveries.get('dlv_2')).toMatchObject({ eventId: 'evt_1', status: 'pending' });
      expect((await store.deliveries('ep_1', { sinceMs: 0, untilMs: Number.MAX_SAFE_INTEGER })).map((d) => d.deliveryId)).toEqual(['dlv_2']);
      expect((await deliveries.counts()).pending).toBe(2);
    });

    it("moves an endpoint's counters and index with each outcome", async () => {
      await store.create(endpoint('ep_1'), 's');
      await record(event('default', 'evt_1', [['dlv_1', 'ep_1']]));
      await record(event('default', 'evt_2', [['dlv_2', 'ep_1']], T0 + 10));
      const failed = await store.recordOutcome('ep_1', { deliveryId: 'dlv_1', status: 'failed', atMs: T0 + 100 });
      expect(failed).toMatchObject({ failingSince: new Date(T0 + 100).toISOString(), failuresSinceSuccess: 1, lastFailureAt: new Date(T0 + 100).toISOString() });
      const again = await store.recordOutcome('ep_1', { deliveryId: 'dlv_2', status: 'failed', atMs: T0 + 200 });
      expect(again).toMatchObject({ failingSince: new Date(T0 + 100).toISOString(), failuresSinceSuccess: 2 });
      expect(await store.get('ep_1')).toEqual(again);
      const delivered = await store.recordOutcome('ep_1', { deliveryId: 'dlv_1', status: 'delivered', atMs: T0 + 300 });
      expect(delivered).toMatchObject({ failingSince: null, failuresSinceSuccess: 0, lastSuccessAt: new Date(T0 + 300).toISOString() });
      expect(await store.outcomeCounts('ep_1', T0)).toEqual({ delivered: 1, failed: 1 });
      expect(await store.outcomeCounts('ep_1', T0 + 250)).toEqual({ delivered: 1, failed: 0 });
      expect(await store.recordOutcome('ep_none', { deliveryId: 'x', status: 'failed', atMs: T0 })).toBeUndefined();
    });

    it("finds an endpoint's deliveries by creation window and status, oldest first", async () => {
      await store.create(endpoint('ep_1'), 's');
      await record(event('default', 'evt_1', [['dlv_1', 'ep_1'], ['dlv_x', 'ep_2']], T0));
      await record(event('default', 'evt_2', [['dlv_2', 'ep_1']], T0 + 1000));
      await record(event('default', 'evt_3', [['dlv_3', 'ep_1']], T0 + 2000));
      await store.recordOutcome('ep_1', { deliveryId: 'dlv_1', status: 'failed', atMs: T0 + 5 });
      await store.recordOutcome('ep_1', { deliveryId: 'dlv_3', status: 'failed', atMs: T0 + 2005 });
      const all = await store.deliveries('ep_1', { sinceMs: T0, untilMs: T0 + 3000 });
      expect(all.map((d) => [d.deliveryId, d.status])).toEqual([['dlv_1', 'failed'], ['dlv_2', 'pending'], ['dlv_3', 'failed']]);
      expect(all[0]).toEqual({ deliveryId: 'dlv_1', eventId: 'evt_1', createdAtMs: T0, status: 'failed', settledAtMs: T0 + 5 });
      const window = await store.deliveries('ep_1', { sinceMs: T0 + 1, untilMs: T0 + 2000, status: 'failed' });
      expect(window).toEqual([]);
      expect((await store.deliveries('ep_1', { sinceMs: T0, untilMs: T0 + 2001, status: 'failed' })).map((d) => d.deliveryId)).toEqual(['dlv_1', 'dlv_3']);
    });

    it('hands out rate-limit slots one interval apart, never the same twice', async () => {
      await store.create(endpoint('ep_1', { rateLimit: 4 }), 's');
      const slots = await Promise.all([0, 1, 2].map(() => store.reserveSlot('ep_1', T0, 250)));
      expect([...slots].sort((a, b) => a - b)).toEqual([T0, T0 + 250, T0 + 500]);
      // Idle long enough, the next slot is now again.
      expect(await store.reserveSlot('ep_1', T0 + 10_000, 250)).toBe(T0 + 10_000);
    });
  });
}
