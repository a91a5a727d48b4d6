// The Received view: the list of webhooks, its filters, its empty and "no match" states, and the open entry.
// State is what is shown: the rows' entries (at most MAX_ROWS), the open entry, the filters.
import { $, api, breakable, el, formatSize, formatTime, statusBadge, timeCell } from './dom.js';
import { clearEntry, onDelivery as entryDelivery, refreshEntry, renderEntry } from './entry-detail.js';
import { describe, filtersFromUrl, isActive, listQuery, matches, suggestionsFor, writeFiltersToUrl } from './filters.js';
import { renderOnboarding } from './onboarding.js';
import { keyedRows } from './rows.js';

const PAGE_SIZE = 50;
/** Rows kept while the stream adds more at the top; the oldest shown go first. */
const MAX_ROWS = 500;
const MAX_SUGGESTIONS = 200;

const state = {
  entries: new Map(), // id -> entry, for the rows shown only
  cursors: new Map(), // id of a page's last row -> the cursor of the page after it
  nextCursor: null,
  loaded: false,
  selected: null,
  openEntry: null, // the entry in the detail pane, shown in the list or not
  filters: { event: '', status: '' },
  suggestions: new Set(),
  loadSerial: 0,
  /** Entries the stream brought while a fresh load was on its way: the page may predate them. */
  arrivedDuringLoad: null,
  config: {},
};

const backHash = () => '#/';

function processingBadge(entry) {
  if (!entry.processing || entry.processing.state === 'done') return null;
  const failed = entry.processing.state === 'failed';
  return el('span', `badge ${failed ? 'bad' : 'warn'}`, failed ? 'handler failed' : 'processing');
}

const rows = keyedRows($('rows'), {
  render: (entry) => [
    timeCell(entry.receivedAt),
    el('td', 'event', entry.eventType ? breakable(entry.eventType) : el('span', 'muted', '(no type)')),
    el('td', 'scheme', entry.scheme || el('span', 'muted', '—')),
    el('td', 'status', statusBadge(entry.status), entry.duplicates > 0 ? el('span', 'badge', `+${entry.duplicates} dup`) : null, processingBadge(entry)),
    el('td', 'num size', formatSize(entry.sizeBytes)),
  ],
  signature: (e) => JSON.stringify([e.eventType, e.status, e.scheme, e.sizeBytes, e.duplicates, e.processing && e.processing.state]),
  label: (e) => `${e.eventType || 'no type'}, ${e.status}, ${formatTime(e.receivedAt)}`,
  open: (id) => {
    location.hash = `#/event/${encodeURIComponent(id)}`;
  },
});

function noteSuggestions(entry) {
  for (const value of suggestionsFor(entry.eventType)) {
    if (state.suggestions.has(value) || state.suggestions.size >= MAX_SUGGESTIONS) continue;
    state.suggestions.add(value);
    const option = document.createElement('option');
    option.value = value;
    $('event-types').append(option);
  }
}

/** Empty (nothing received yet) and "no match" (the filters hide everything) are different states. */
function showStates() {
  const none = rows.size === 0 && state.loaded;
  const filtered = isActive(state.filters);
  $('empty').hidden = !(none && !filtered);
  $('no-match').hidden = !(none && filtered);
  if (none && filtered) $('no-match-what').textContent = describe(state.filters);
  $('rows').closest('table').hidden = rows.size === 0;
  $('more').hidden = !state.nextCursor;
  $('clear-filters').hidden = !filtered || !$('no-match').hidden; // the "no match" message has its own
}

function forget(id) {
  state.entries.delete(id);
  state.cursors.delete(id);
  rows.remove(id);
}

/** Keeps at most MAX_ROWS; "Load older" goes on from the lowest row whose page cursor is known. */
function prune() {
  if (rows.size <= MAX_ROWS) return;
  const ids = rows.ids();
  for (const id of ids.slice(MAX_ROWS)) if (id !== state.selected) forget(id);
  const known = rows.ids().reverse().find((id) => state.cursors.has(id));
  state.nextCursor = known ? state.cursors.get(known) : null;
}

async function loadList(more) {
  const serial = ++state.loadSerial;
  if (!more) state.arrivedDuringLoad = [];
  try {
    const page = await api(listQuery(state.filters, PAGE_SIZE, more ? state.nextCursor : undefined));
    if (serial !== state.loadSerial) return; // a newer filter won
    if (!more) {
      state.entries.clear();
      state.cursors.clear();
      const listed = new Set(page.items.map((entry) => entry.id));
      const arrived = (state.arrivedDuringLoad || []).filter((entry) => !listed.has(entry.id) && matches(state.filters, entry));
      state.arrivedDuringLoad = null;
      rows.replaceAll([...arrived.reverse(), ...page.items]);
      for (const entry of arrived) state.entries.set(entry.id, entry);
    } else {
      for (const entry of page.items) rows.upsert(entry, 'bottom');
    }
    for (const entry of page.items) {
      state.entries.set(entry.id, entry);
      noteSuggestions(entry);
    }
    const last = page.items[page.items.length - 1];
    if (last && page.nextCursor) state.cursors.set(last.id, page.nextCursor);
    state.nextCursor = page.nextCursor;
    state.loaded = true;
    if (state.selected) rows.select(state.selected);
    $('list-error').hidden = true;
    showStates();
  } catch (error) {
    if (serial === state.loadSerial) state.arrivedDuringLoad = null;
    $('list-error').textContent = `Could not load the history: ${error.message}`;
    $('list-error').hidden = false;
  }
}

function applyFilters(filters) {
  state.filters = filters;
  writeFiltersToUrl(filters);
  // The open entry closes when it no longer matches: the pane would describe something the list hides.
  if (state.openEntry && !matches(filters, state.openEntry)) location.hash = '#/';
  void loadList(false);
}

function syncInputs() {
  $('filter-event').value = state.filters.event;
  $('filter-status').value = state.filters.status;
}

// ------------------------------------------------------------------------------------------------------
// The open entry

async function open(id) {
  state.selected = id;
  $('view-received').classList.add('has-detail');
  rows.select(id);
  const pane = $('detail');
  try {
    const entry = await api(`/webhook/history/${encodeURIComponent(id)}`);
    if (state.selected !== id) return;
    if (state.entries.has(id)) state.entries.set(id, entry);
    state.openEntry = entry;
    renderEntry(pane, entry, state.config, backHash());
  } catch (error) {
    if (state.selected !== id) return;
    clearEntry(pane);
    pane.replaceChildren(el('div', 'detail-head', el('a', 'back', '← Back to the list')), el('p', 'error', `Could not load ${id}: ${error.message}`));
    pane.querySelector('a.back').href = backHash();
    pane.hidden = false;
  }
  // On a phone the list is hidden and the pane starts the page: scroll to its top, below nothing.
  if (!window.matchMedia('(min-width: 1100px)').matches) window.scrollTo(0, 0);
  const title = pane.querySelector('#detail-title');
  (title || pane).focus({ preventScroll: true });
}

function close() {
  const returnTo = state.selected;
  state.selected = null;
  state.openEntry = null;
  clearEntry($('detail'));
  $('view-received').classList.remove('has-detail');
  rows.select(null);
  if (returnTo) rows.focus(returnTo);
}

// ------------------------------------------------------------------------------------------------------
// What the stream says

export function onEntry(entry) {
  noteSuggestions(entry);
  if (state.arrivedDuringLoad) state.arrivedDuringLoad.push(entry);
  if (!matches(state.filters, entry)) return; // not shown, so not kept
  const isNew = !state.entries.has(entry.id);
  state.entries.set(entry.id, entry);
  rows.upsert(entry, isNew ? 'top' : undefined);
  prune();
  showStates();
}

export function onUpdate(patch) {
  const known = state.entries.get(patch.id);
  if (known) {
    Object.assign(known, patch);
    rows.upsert(known);
  }
  if (state.openEntry && state.openEntry.id === patch.id) {
    Object.assign(state.openEntry, patch);
    refreshEntry($('detail'), state.openEntry);
  }
}

export function onCleared() {
  for (const id of rows.ids()) forget(id);
  state.nextCursor = null;
  if (state.selected) location.hash = '#/';
  showStates();
}

export const onReset = () => void loadList(false);
export const onDelivery = (record) => entryDelivery(record);

/** The route for this view: `#/` or `#/event/<id>`. */
export function route(hash) {
  if (hash.startsWith('#/event/')) {
    const id = decodeURIComponent(hash.slice('#/event/'.length));
    if (id !== state.selected || $('detail').hidden) void open(id);
  } else if (state.selected) {
    close();
  }
}

export function initReceived(config) {
  state.config = config;
  renderOnboarding($('empty'), config);
  state.filters = filtersFromUrl();
  syncInputs();
  let debounce = null;
  $('filter-event').addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => applyFilters({ ...state.filters, event: $('filter-event').value.trim() }), 250);
  });
  $('filter-status').addEventListener('change', () => applyFilters({ ...state.filters, status: $('filter-status').value }));
  const clear = () => {
    applyFilters({ event: '', status: '' });
    syncInputs();
    $('filter-event').focus();
  };
  $('clear-filters').addEventListener('click', clear);
  $('no-match-clear').addEventListener('click', clear);
  $('filters').addEventListener('submit', (event) => event.preventDefault());
  $('more').addEventListener('click', () => void loadList(true));
  return loadList(false);
}
