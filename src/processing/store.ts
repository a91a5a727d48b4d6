import type { WebhookEvent } from './registry';

/** Where an accepted event's handlers stand. */
export interface ProcessingState {
  readonly state: 'pending' | 'done' | 'failed';
  readonly error?: string;
  /** How long the handlers ran, in ms. */
  readonly durationMs?: number;
}

/** The fields of a stored entry that change after it is added: what the feed's `updated` event carries. */
export interface EntryUpdate {
  readonly id: string;
  readonly duplicates: number;
  readonly processing: ProcessingState | null;
}

/**
 * What the processor needs of a store: where it records outcomes, and what it resumes after a restart. The
 * history implements it (an entry's `processing`); the processor never sees the rest of the history.
 * Asynchronous, like every store contract, so that a networked database fits it.
 */
export interface ProcessingStore {
  /**
   * Records an outcome; resolves once it is durable, with the entry's changed fields (so the feed can tell
   * without reading the entry back), or undefined when no entry has that id.
   */
  setProcessing(id: string, processing: ProcessingState): Promise<EntryUpdate | undefined>;
  /**
   * Accepted events whose processing is still pending, oldest first: after a restart, the events that were
   * acknowledged but not yet processed when the server stopped. (Always none for a fresh in-memory store.)
   */
  pendingProcessing(): Promise<WebhookEvent[]>;
}
