/**
 * Remembers which events were already accepted, by id and by exact signature, for a time-to-live.
 * Synchronous for the same reason as the history store.
 */
export interface DedupeStore {
  /** The event id first remembered under any of `keys`, if it has not expired at `nowMs`. */
  lookup(keys: readonly string[], nowMs: number): string | undefined;
  /** Remembers `keys` as belonging to `eventId` until `nowMs` plus the time-to-live. */
  remember(keys: readonly string[], eventId: string, nowMs: number): void;
  size(): number;
}
