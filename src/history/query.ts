import type { HistoryEntry } from './store';

/**
 * `?event=` as a filter: a plain value matches that type exactly (SPEC.md section 3); a value ending in `.*`
 * matches every type that starts with what comes before the `*` (`invoice.*`: `invoice.paid`,
 * `invoice.payment.failed`, not `invoice` itself), as endpoints' `prefix.*` subscriptions do.
 */
export type EventTypeFilter = { readonly exact: string } | { readonly prefix: string };

export function eventTypeFilter(eventType: string | undefined): EventTypeFilter | undefined {
  if (eventType === undefined) return undefined;
  return eventType.endsWith('.*') ? { prefix: eventType.slice(0, -1) } : { exact: eventType };
}

export function matchesEventType(filter: EventTypeFilter, eventType: string | null): boolean {
  if (eventType === null) return false;
  return 'exact' in filter ? eventType === filter.exact : eventType.startsWith(filter.prefix);
}

/** What an entry costs beyond its body and headers (ids, dates, verification, JSON punctuation), roughly. */
export const ENTRY_OVERHEAD_BYTES = 256;

/**
 * An entry's weight, in bytes: what `HISTORY_MAX_BYTES` and a page's budget count. The body as kept (the whole
 * body of an accepted event; a rejected one's preview) plus its headers, without serializing anything: an
 * estimate that grows with what the entry holds, which is what a budget needs.
 */
export function entryWeight(entry: HistoryEntry): number {
  let bytes = ENTRY_OVERHEAD_BYTES + (typeof entry.payload === 'string' ? entry.payload.length : entry.sizeBytes);
  for (const name in entry.headers) bytes += name.length + entry.headers[name]!.length;
  return bytes;
}

/**
 * The weight one page of `GET /webhook/history` may hold: a page stops before the entry that would pass it
 * (always holding at least one) and gives a `nextCursor`, so a page of large bodies stays a few MB however
 * large `?limit` is.
 */
export const HISTORY_PAGE_MAX_BYTES = 4 * 1024 * 1024;
