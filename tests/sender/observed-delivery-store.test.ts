import type { DeliveryRecord, DeliveryStore } from '../../src/sender/delivery-store';
import { MemoryDeliveryStore } from '../../src/sender/memory-delivery-store';
import { observeDeliveries } from '../../src/sender/observed-delivery-store';
import { deliveryRecord } from '../contract/delivery-store';

const content = { body: Buffer.from('{}'), signAll: false };

describe('observeDeliveries', () => {
  it('reports a record once it is created and each time it is saved, as written', () => {
    const seen: string[] = [];
    const store = observeDeliveries(new MemoryDeliveryStore(10), (r) => seen.push(`${r.id}:${r.status}`));
    const record = deliveryRecord('dlv_1');

    store.create(record, content);
    record.status = 'delivered';
    store.save(record);

    expect(seen).toEqual(['dlv_1:pending', 'dlv_1:delivered']);
    expect(store.get('dlv_1')?.status).toBe('delivered');
  });

  it('reports nothing for a write that failed', () => {
    const seen: DeliveryRecord[] = [];
    const failing = {
      save: () => {
        throw new Error('disk full');
      },
    } as unknown as DeliveryStore;
    const store = observeDeliveries(failing, (r) => seen.push(r));

    expect(() => store.save(deliveryRecord('dlv_2'))).toThrow('disk full');
    expect(seen).toEqual([]);
  });

  it('reports a write to an asynchronous store only once its promise has resolved', async () => {
    const seen: string[] = [];
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    const asyncStore = { save: () => committed } as unknown as DeliveryStore;
    const store = observeDeliveries(asyncStore, (r) => seen.push(r.id));

    const written = store.save(deliveryRecord('dlv_3')) as unknown as Promise<void>;
    const before = [...seen];
    commit();
    await written;

    expect(before).toEqual([]);
    expect(seen).toEqual(['dlv_3']);
  });
});
