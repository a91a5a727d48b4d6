import type { DeliveryRecord, DeliveryStore } from '../../src/sender/delivery-store';
import { observeDeliveries } from '../../src/sender/observed-delivery-store';
import { MemoryDeliveryStore } from '../../src/storage/memory/delivery-store';
import { deliveryRecord } from '../contract/delivery-store';

const content = { body: Buffer.from('{}'), signAll: false };

describe('observeDeliveries', () => {
  it('reports a record once it is created, each time it is saved, and each outcome recorded under its claim, as written', async () => {
    const seen: string[] = [];
    const store = observeDeliveries(new MemoryDeliveryStore(10), (r) => seen.push(`${r.id}:${r.status}:${r.attempts.length}`));
    const record = deliveryRecord('dlv_1');

    await store.create(record, content, { token: 'mine', leaseUntilMs: Date.now() + 60_000 });
    const attempted = { ...record, attempts: [{ number: 1, series: 1, startedAt: record.createdAt, durationMs: 1, statusCode: 200 }] };
    expect(await store.complete({ ...attempted, status: 'delivered', nextAttemptAt: null }, 'mine')).toBe(true);
    await store.save({ ...attempted, status: 'pending' });

    expect(seen).toEqual(['dlv_1:pending:0', 'dlv_1:delivered:1', 'dlv_1:pending:1']);
    expect((await store.get('dlv_1'))?.status).toBe('pending');
  });

  it('reports nothing for a write refused because a claim holds the record, or whose claim was lost', async () => {
    const seen: string[] = [];
    const store = observeDeliveries(new MemoryDeliveryStore(10), (r) => seen.push(r.id));
    await store.create(deliveryRecord('dlv_1'), content, { token: 'mine', leaseUntilMs: Date.now() + 60_000 });
    seen.length = 0;

    expect(await store.save({ ...deliveryRecord('dlv_1'), status: 'failed', nextAttemptAt: null })).toBe(false);
    expect(await store.complete({ ...deliveryRecord('dlv_1'), status: 'failed', nextAttemptAt: null }, 'not-mine')).toBe(false);
    expect(seen).toEqual([]);
  });

  it('reports nothing for a write that failed', async () => {
    const seen: DeliveryRecord[] = [];
    const failing = { save: () => Promise.reject(new Error('disk full')) } as unknown as DeliveryStore;
    const store = observeDeliveries(failing, (r) => seen.push(r));

    await expect(store.save(deliveryRecord('dlv_2'))).rejects.toThrow('disk full');
    expect(seen).toEqual([]);
  });

  it('reports a write only once its promise has resolved', async () => {
    const seen: string[] = [];
    let commit!: (saved: boolean) => void;
    const committed = new Promise<boolean>((resolve) => (commit = resolve));
    const asyncStore = { save: () => committed } as unknown as DeliveryStore;
    const store = observeDeliveries(asyncStore, (r) => seen.push(r.id));

    const written = store.save(deliveryRecord('dlv_3'));
    await Promise.resolve();
    const before = [...seen];
    commit(true);
    await written;

    expect(before).toEqual([]);
    expect(seen).toEqual(['dlv_3']);
  });
});
