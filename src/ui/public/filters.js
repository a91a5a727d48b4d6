// The Received view's filters: what they match, how they go to the API, and how they live in the URL
// (`?event=invoice.*&status=accepted`), so a reload or a shared link shows the same list.

/** The filters in the page's URL; unknown values are ignored. */
export function filtersFromUrl() {
  const params = new URLSearchParams(location.search);
  const status = params.get('status');
  return {
    event: (params.get('event') || '').trim(),
    status: status === 'accepted' || status === 'rejected' ? status : '',
  };
}

/** Puts the filters in the URL without a reload or a history entry; the hash (the open item) stays. */
export function writeFiltersToUrl(filters) {
  const params = new URLSearchParams(location.search);
  for (const name of ['event', 'status']) {
    if (filters[name]) params.set(name, filters[name]);
    else params.delete(name);
  }
  const query = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
}

export const isActive = (filters) => Boolean(filters.event || filters.status);

/**
 * `invoice.*` matches every type that starts with `invoice.` (and the API is asked the same, `?event=invoice.*`);
 * `*` matches any; anything else matches exactly, as the API does.
 */
export function matchesEvent(pattern, eventType) {
  if (!pattern || pattern === '*') return true;
  const type = eventType || '';
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return type === pattern;
}

export function matches(filters, entry) {
  return matchesEvent(filters.event, entry.eventType) && (!filters.status || entry.status === filters.status);
}

/** The list's query string for these filters. */
export function listQuery(filters, limit, cursor) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (filters.event && filters.event !== '*') params.set('event', filters.event);
  if (filters.status) params.set('status', filters.status);
  if (cursor) params.set('cursor', cursor);
  return `/webhook/history?${params}`;
}

/** Words for the "no match" state: `event type invoice.* and status rejected`. */
export function describe(filters) {
  const parts = [];
  if (filters.event) parts.push(`event type ${filters.event}`);
  if (filters.status) parts.push(`status ${filters.status}`);
  return parts.join(' and ');
}

/** The type and its family (`invoice.paid` gives `invoice.paid` and `invoice.*`), for the filter's suggestions. */
export function suggestionsFor(eventType) {
  if (!eventType) return [];
  const dot = eventType.lastIndexOf('.');
  return dot > 0 ? [eventType, `${eventType.slice(0, dot)}.*`] : [eventType];
}
