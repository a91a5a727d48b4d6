/**
 * Whether an endpoint subscribed to `filters` receives an event of `eventType`: an empty list means every type;
 * `invoice.*` matches every type that starts with `invoice.` (not `invoice` itself, nor `invoices.x`); `*`
 * alone matches all; anything else matches exactly.
 */
export function matchesEventType(filters: readonly string[], eventType: string): boolean {
  if (filters.length === 0) return true;
  return filters.some((filter) => {
    if (filter === '*') return true;
    if (filter.endsWith('.*')) return eventType.startsWith(filter.slice(0, -1));
    return filter === eventType;
  });
}

/** Why a filter is not one `matchesEventType` understands (a `*` elsewhere than a trailing `.*`), or undefined. */
export function eventTypeFilterProblem(filter: string): string | undefined {
  const star = filter.indexOf('*');
  if (star === -1 || filter === '*') return undefined;
  if (filter.endsWith('.*') && star === filter.length - 1 && filter.length > 2) return undefined;
  return 'may only use * as a trailing ".*" wildcard (such as "invoice.*") or alone';
}
