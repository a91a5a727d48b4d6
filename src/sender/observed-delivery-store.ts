import type { DeliveryContent, DeliveryRecord, DeliveryStore } from './delivery-store';

/**
 * A delivery store that reports every record it has just written, so the page can stream deliveries instead
 * of polling them. It wraps whichever backend holds the records, the way `history/observed-store.ts` wraps
 * the history, so neither the sender nor a backend knows about the stream. `onChange` runs after the write
 * returned (with SQLite, after its transaction), with the record as written.
 */
export function observeDeliveries(store: DeliveryStore, onChange: (record: DeliveryRecord) => void): DeliveryStore {
  return {
    create(record: DeliveryRecord, content: DeliveryContent) {
      store.create(record, content);
      onChange(record);
    },
    save(record: DeliveryRecord) {
      store.save(record);
      onChange(record);
    },
    content: (id) => store.content(id),
    get: (id) => store.get(id),
    list: (query) => store.list(query),
    pending: () => store.pending(),
    counts: () => store.counts(),
  };
}
