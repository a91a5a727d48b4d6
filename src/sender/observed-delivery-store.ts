import type { DeliveryContent, DeliveryRecord, DeliveryStore, Lease } from './delivery-store';

/**
 * A delivery store that reports every record it has just written, so the page can stream deliveries instead
 * of polling them. It wraps whichever backend holds the records, the way `history/observed-store.ts` wraps
 * the history, so neither the sender nor a backend knows about the stream. `onChange` runs once the write is
 * done (with SQLite, after its COMMIT), with the record as written; a write that fails or is refused (a claim
 * that no longer holds) reports nothing. Claims are not changes a reader sees; `interruptWaiting` (at
 * shutdown, when the stream is closed) reports nothing either.
 */
export function observeDeliveries(store: DeliveryStore, onChange: (record: DeliveryRecord) => void): DeliveryStore {
  return {
    pollIntervalMs: store.pollIntervalMs,
    create: async (record: DeliveryRecord, content: DeliveryContent, lease?: Lease) => {
      await store.create(record, content, lease);
      onChange(record);
    },
    save: async (record: DeliveryRecord) => {
      const saved = await store.save(record);
      if (saved) onChange(record);
      return saved;
    },
    complete: async (record: DeliveryRecord, token: string) => {
      const completed = await store.complete(record, token);
      if (completed) onChange(record);
      return completed;
    },
    content: (id) => store.content(id),
    get: (id) => store.get(id),
    list: (query) => store.list(query),
    counts: () => store.counts(),
    claimDue: (options) => store.claimDue(options),
    nextDueMs: () => store.nextDueMs(),
    interruptWaiting: (atIso) => store.interruptWaiting(atIso),
  };
}
