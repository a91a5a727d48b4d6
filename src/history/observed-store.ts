import type { WebhookEvent } from '../processing/registry';
import type { HistoryFeed } from './feed';
import type { AcceptOutcome, EntryUpdate, HistoryEntry, HistoryPage, HistoryQuery, HistoryStore, ProcessingState } from './store';

/**
 * A `HistoryStore` that publishes every change to `feed` once the wrapped store has made it durable (its
 * promise resolved: with SQLite, after the batch's COMMIT), so no stream client or FORWARD_URL sees an event
 * that is then rolled back. Wrapping the store (in `createDeps`) rather than publishing beside every write
 * works for any backend and cannot miss a writer added later. What is published is what the write had in
 * hand or answered (the entry, the changed fields): nothing is read back.
 */
export class ObservedHistoryStore implements HistoryStore {
  /** @param onError a publication failed (a frame that cannot be serialized): reported, never the writer's failure. */
  constructor(
    private readonly store: HistoryStore,
    private readonly feed: HistoryFeed,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  accept(entry: HistoryEntry, rawBody: Buffer, keys: readonly string[], nowMs: number, freshId: () => string): Promise<AcceptOutcome> {
    return this.store.accept(entry, rawBody, keys, nowMs, freshId).then((outcome) => {
      // Under a fresh id when another scheme's entry held the sender's (history/store.ts).
      if (outcome.stored) this.publish('received', outcome.id, outcome.id === entry.id ? entry : { ...entry, id: outcome.id });
      else if (outcome.update) this.publish('updated', outcome.update.id, outcome.update);
      return outcome;
    });
  }

  async add(entry: HistoryEntry, rawBody?: Buffer): Promise<void> {
    await this.store.add(entry, rawBody);
    this.publish(entry.status === 'accepted' ? 'received' : 'rejected', entry.id, entry);
  }

  get(id: string): Promise<HistoryEntry | undefined> {
    return this.store.get(id);
  }

  list(query: HistoryQuery): Promise<HistoryPage> {
    return this.store.list(query);
  }

  async recordDuplicate(id: string): Promise<EntryUpdate | undefined> {
    return this.published(await this.store.recordDuplicate(id));
  }

  async setProcessing(id: string, processing: ProcessingState): Promise<EntryUpdate | undefined> {
    return this.published(await this.store.setProcessing(id, processing));
  }

  async clear(): Promise<void> {
    await this.store.clear();
    this.publish('cleared', null, {});
  }

  pendingProcessing(): Promise<WebhookEvent[]> {
    return this.store.pendingProcessing();
  }

  counts(): Promise<{ readonly accepted: number; readonly rejected: number }> {
    return this.store.counts();
  }

  private published(update: EntryUpdate | undefined): EntryUpdate | undefined {
    if (update) this.publish('updated', update.id, update);
    return update;
  }

  private publish(name: 'received' | 'rejected' | 'updated' | 'cleared', id: string | null, data: unknown): void {
    try {
      this.feed.publish(name, id, data);
    } catch (error) {
      this.onError(error);
    }
  }
}
