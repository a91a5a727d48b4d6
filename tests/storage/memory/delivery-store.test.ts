import { MemoryDeliveryStore } from '../../../src/storage/memory/delivery-store';
import type { DeliveryContent, DeliveryRecord } from '../../../src/sender/delivery-store';

const T0 = Date.UTC(2026, 11, 2, 6, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();

function record(id: string, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    id,
    eventId: `evt_${id}`,
    url: 'http://127.0.0.1:9/hook',
    eventType: 'order.paid',
    scheme: 'native',
    status: 'pending',
    createdAt: iso(T0),
    updatedAt: iso(T0),
    maxAttempts: 5,
    timeoutMs: 1000,
    attempts: [{ number: 1, series: 1, startedAt: iso(T0), durationMs: 5, statusCode: 503, responseBody: 'busy' }],
    nextAttemptAt: iso(T0 + 60_000),
    error: null,
    ...overrides,
  };
}

// The memory store packs a delivery waiting for its retry (packed-delivery.ts); what the contract suite does
// not cover: the content fields only this store keeps, and the writes that unpack and repack a waiting one.
describe('MemoryDeliveryStore, a delivery waiting for its retry', () => {
  it('keeps the extra headers and the unrecoverable-secret mark beside the packed body', async () => {
    const store = new MemoryDeliveryStore(10);
    const content: DeliveryContent = { body: Buffer.from('<xml/>'), signAll: false, headers: { 'content-type': 'application/xml' }, secretUnavailable: true };
    await store.create(record('d1'), content);

    expect(await store.content('d1')).toEqual(content);
    const [claimed] = await store.claimDue({ nowMs: T0 + 60_000, limit: 1, token: 't', leaseMarginMs: 1000 });
    expect(claimed!.content).toEqual(content);
  });

  it('keeps the body through an interruption and a finished outcome saved over it', async () => {
    const store = new MemoryDeliveryStore(10);
    await store.create(record('d1'), { body: Buffer.from('{"n":1}'), signAll: false });

    await store.interruptWaiting(iso(T0 + 10));
    expect((await store.get('d1'))!.interruptedAt).toBe(iso(T0 + 10));
    expect((await store.content('d1'))!.body.toString()).toBe('{"n":1}');
    expect(await store.save({ ...record('d1'), status: 'failed', nextAttemptAt: null })).toBe(true);
    expect((await store.content('d1'))!.body.toString()).toBe('{"n":1}');
    expect((await store.get('d1'))!.status).toBe('failed');
  });

  it('hands out an interrupted delivery with its mark when it is claimed, and lists it with the mark', async () => {
    const store = new MemoryDeliveryStore(10);
    await store.create(record('d1'), { body: Buffer.from('{"n":1}'), signAll: false });
    await store.interruptWaiting(iso(T0 + 10));

    const marks = { interruptedAt: iso(T0 + 10), updatedAt: iso(T0 + 10), error: 'server stopped before attempt 2' };
    expect((await store.list({ limit: 10 })).items[0]).toMatchObject(marks);
    const [claimed] = await store.claimDue({ nowMs: T0 + 60_000, limit: 1, token: 't', leaseMarginMs: 1000 });
    expect(claimed!.record).toMatchObject(marks);
    expect(await store.get('d1')).toMatchObject(marks);
    expect(await store.complete({ ...record('d1'), status: 'delivered', nextAttemptAt: null }, 't')).toBe(true);
    expect((await store.get('d1'))!.interruptedAt).toBeUndefined();
  });
});
