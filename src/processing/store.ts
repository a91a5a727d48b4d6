import type { WebhookEvent } from './registry';

/** Where an accepted event's handlers stand. */
export interface ProcessingState {
  readonly state: 'pending' | 'done' | 'failed';
  readonly error?: string;
  /** How long the handlers ran, in ms. */
  readonly durationMs?: number;
}

/**
 * What the processor needs of a store: where it records outcomes, and what it resumes after a restart. The
 * history implements it (an entry's `processing`); the processor never sees the rest of the history.
 */
export interface ProcessingStore {
  setProcessing(id: string, processing: ProcessingState): void;
  /**
   * Accepted events whose processing is still pending, oldest first: after a restart, the events that were
   * acknowledged but not yet processed when the server stopped. (Always none for a fresh in-memory store.)
   */
  pendingProcessing(): WebhookEvent[];
}
