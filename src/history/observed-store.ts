import type { WebhookEvent } from '../processing/registry';
import type { HistoryFeed } from './feed';
import type { HistoryEntry, HistoryPage, HistoryQuery, HistoryStore, ProcessingState } from './store';

/** What an `updated` event carries: the fields that change after an entry is added. */
export function entryUpdate(entry: HistoryEntry): { id: string; duplicates: number; processing: ProcessingState | null } {
  return { id: entry.id, duplicates: entry.duplicates, processing: entry.processing };
}

/** Runs a callback once the write just made is committed (`Storage.afterCommit`). */
export type AfterCommit = (callback: () => void) => void;

/**
 * A `HistoryStore` that publishes every change to `feed` after the wrapped store has made it. The receive
 * route and the processor write to the store as before; wrapping it (in `createDeps`) instead of adding a
 * publish call beside every write keeps the store contract as it is, works for any backend, and cannot
 * miss a writer added later. With SQLite's group commit a write is only durable at the batch's COMMIT, so
 * publishing waits for it (`afterCommit`): no stream client or FORWARD_URL sees an event that is then
 * rolled back. Publishing never fails a write: the store has made it, so a feed that throws (a serializer,
 * a listener) is reported to `onPublishError` and the caller's answer stands (issue 11: no "not stored"
 * for an event that was stored).
 */
export class ObservedHistoryStore implements HistoryStore {
  constructor(
    private readonly store: HistoryStore,
    private readonly feed: HistoryFeed,
    private readonly afterCommit: AfterCommit = (callback) => callback(),
    private readonly onPublishError: (error: unknown) => void = () => undefined,
  ) {}

  add(entry: HistoryEntry, rawBody?: Buffer): void {
    this.store.add(entry, rawBody);
    this.publish(() => this.feed.publish(entry.status === 'accepted' ? 'received' : 'rejected', entry.id, entry));
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
    this.publish(() => this.feed.publish('cleared', null, {}));
  }

  pendingProcessing(): WebhookEvent[] {
    return this.store.pendingProcessing();
  }

  counts(): { readonly accepted: number; readonly rejected: number } {
    return this.store.counts();
  }

  private publishUpdate(id: string): void {
    // Reading the entry back (a SELECT with SQLite) only pays when someone has listened to the feed.
    if (!this.feed.listening) return;
    this.publish(() => {
      const entry = this.store.get(id);
      if (entry) this.feed.publish('updated', id, entryUpdate(entry));
    });
  }

  /** After the commit, and never throwing: the write it follows has been made whatever happens here. */
  private publish(callback: () => void): void {
    try {
      this.afterCommit(() => {
        try {
          callback();
        } catch (error) {
          this.onPublishError(error);
        }
      });
    } catch (error) {
      this.onPublishError(error);
    }
  }
}
