import type { DeliveryContent, DeliveryRecord, DeliveryStore } from './delivery-store';

/** Runs `then` once `result` is done: at once for a synchronous store, after the promise for an asynchronous one. */
function after<T>(result: T, then: () => void): T {
  if (result instanceof Promise) return result.then((value: unknown) => (then(), value)) as T;
  then();
  return result;
}

/**
 * A delivery store that reports every record it has just written, so the page can stream deliveries instead
 * of polling them. It wraps whichever backend holds the records, the way `history/observed-store.ts` wraps
 * the history, so neither the sender nor a backend knows about the stream. `onChange` runs once the write is
 * done (with SQLite, after its transaction), with the record as written; a write that fails reports nothing.
 */
export function observeDeliveries(store: DeliveryStore, onChange: (record: DeliveryRecord) => void): DeliveryStore {
  return {
    create: (record: DeliveryRecord, content: DeliveryContent) => after(store.create(record, content), () => onChange(record)),
    save: (record: DeliveryRecord) => after(store.save(record), () => onChange(record)),
    content: (id) => store.content(id),
    get: (id) => store.get(id),
    list: (query) => store.list(query),
    pending: () => store.pending(),
    counts: () => store.counts(),
  };
}
