/**
 * Remembers which events were already accepted, by id and by exact signature, for a time-to-live.
 * Asynchronous, like every store contract. The receive path does not call it directly: its check and its
 * write are one atomic step of the history's `accept` (see history/store.ts), which each backend builds on
 * its own dedupe keys.
 */
export interface DedupeStore {
  /** The event id first remembered under any of `keys`, if it has not expired at `nowMs`. */
  lookup(keys: readonly string[], nowMs: number): Promise<string | undefined>;
  /** Remembers `keys` as belonging to `eventId` until `nowMs` plus the time-to-live. */
  remember(keys: readonly string[], eventId: string, nowMs: number): Promise<void>;
  size(): Promise<number>;
}
