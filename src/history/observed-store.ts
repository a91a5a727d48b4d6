import type { WebhookEvent } from '../processing/registry';
import type { HistoryFeed } from './feed';
import type { HistoryEntry, HistoryPage, HistoryQuery, HistoryStore, ProcessingState } from './store';

/** What an `updated` event carries: the fields that change after an entry is added. */
export function entryUpdate(entry: HistoryEntry): { id: string; duplicates: number; processing: ProcessingState | null } {
  return { id: entry.id, duplicates: entry.duplicates, processing: entry.processing };
}

/**
 * A `HistoryStore` that publishes every change to `feed` after the wrapped store has made it. The receive
 * route and the processor write to the store as before; wrapping it (in `createDeps`) instead of adding a
 * publish call beside every write keeps the store contract as it is, works for any backend, and cannot
 * miss a writer added later.
 */
export class ObservedHistoryStore implements HistoryStore {
  constructor(
    private readonly store: HistoryStore,
    private readonly feed: HistoryFeed,
  ) {}

  add(entry: HistoryEntry, rawBody?: Buffer): void {
    this.store.add(entry, rawBody);
    this.feed.publish(entry.status === 'accepted' ? 'received' : 'rejected', entry.id, entry);
  }

  get(id: string): HistoryEntry | undefined {
    return this.store.get(id);
  }

  list(query: HistoryQuery): HistoryPage {
    return this.store.list(query);
  }

  recordDuplicate(id: string): void {
    this.store.recordDuplicate(id);
    this.publishUpdate(id);
  }

  setProcessing(id: string, processing: ProcessingState): void {
    this.store.setProcessing(id, processing);
    this.publishUpdate(id);
  }

  clear(): void {
    this.store.clear();
    this.feed.publish('cleared', null, {});
  }

  pendingProcessing(): WebhookEvent[] {
    return this.store.pendingProcessing();
  }

  counts(): { readonly accepted: number; readonly rejected: number } {
    return this.store.counts();
  }

  private publishUpdate(id: string): void {
    const entry = this.store.get(id);
    if (entry) this.feed.publish('updated', id, entryUpdate(entry));
  }
}
