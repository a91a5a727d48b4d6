// The Deliveries view: what this server sent (send, replay, FORWARD_URL), streamed as it changes.
// State exists only while the view is shown: the rows' records and the open one.
import { $, api, breakable, el, facts, formatTime, link, statusBadge, timeCell } from './dom.js';
import { detailHead } from './entry-detail.js';
import { keyedRows } from './rows.js';

const PAGE_SIZE = 50;
const MAX_ROWS = 500;
const TITLE_ID = 'delivery-detail-title';

const state = { active: false, records: new Map(), selected: null, status: '', nextCursor: null, loadSerial: 0, arrivedDuringLoad: null };

/** Where a delivery came from, with a link to the history entry it re-sends. */
function sourceOf(d) {
  const source = d.source || { kind: 'send' };
  if (source.endpointId) {
    const endpoint = link(source.endpointId, `#/endpoints/${encodeURIComponent(source.endpointId)}`, 'mono');
    endpoint.setAttribute('aria-label', `endpoint ${source.endpointId}`);
    return el('span', 'source', 'endpoint ', endpoint);
  }
  if (!source.historyId) return el('span', 'source', source.kind);
  const entry = link(source.historyId, `#/event/${encodeURIComponent(source.historyId)}`, 'mono');
  entry.setAttribute('aria-label', `${source.kind} of ${source.historyId}`);
  return el('span', 'source', `${source.kind} of `, entry);
}

const rows = keyedRows($('delivery-rows'), {
  render: (d) => [
    timeCell(d.createdAt),
    el('td', 'event', d.eventType ? breakable(d.eventType) : el('span', 'muted', '(no type)')),
    el('td', 'from', sourceOf(d)),
    el('td', 'url', d.url),
    el('td', 'status', statusBadge(d.status)),
    el('td', 'num attempts', String(d.attempts.length)),
  ],
  signature: (d) => JSON.stringify([d.status, d.attempts.length, d.nextAttemptAt]),
  label: (d) => `${d.eventType || 'no type'} to ${d.url}, ${d.status}, ${d.attempts.length} attempts`,
  open: (id) => {
    location.hash = `#/deliveries/${encodeURIComponent(id)}`;
  },
});

function attemptsTable(attempts) {
  const head = el('thead', null, el('tr', null, el('th', 'num', '#'), el('th', 'num', 'Series'), el('th', null, 'Started'), el('th', 'num', 'Took'), el('th', null, 'Result'), el('th', null, 'Response')));
  const body = el('tbody');
  for (const a of attempts) {
    body.append(
      el(
        'tr',
        null,
        el('td', 'num', String(a.number)),
        el('td', 'num series', String(a.series)),
        timeCell(a.startedAt),
        el('td', 'num took', `${a.durationMs} ms`),
        el('td', 'result', a.statusCode !== undefined ? statusBadge(a.statusCode) : el('span', 'error', a.error || '')),
        el('td', 'response', a.responseBody ? a.responseBody.slice(0, 200) : ''),
      ),
    );
  }
  return el('div', 'attempts-wrap', el('table', 'attempts', head, body));
}

function retryButton(d) {
  const button = el('button', null, 'Retry delivery');
  button.type = 'button';
  button.id = 'retry-delivery';
  const result = el('p', 'result');
  result.setAttribute('role', 'status');
  button.addEventListener('click', async () => {
    button.disabled = true;
    result.className = 'result muted';
    result.textContent = 'Sending…';
    try {
      await api(`/webhook/deliveries/${encodeURIComponent(d.id)}/retry`, { method: 'POST' });
      result.className = 'result';
      result.textContent = 'A new series of attempts has started.';
    } catch (error) {
      result.className = 'result error';
      result.textContent = error.message;
      button.disabled = false;
    }
  });
  return el('div', 'retry', button, result);
}

function renderDetail(d) {
  const pane = $('delivery-detail');
  const focusedRetry = document.activeElement && document.activeElement.id === 'retry-delivery';
  pane.replaceChildren(
    detailHead(d.eventType || '(no type)', statusBadge(d.status), '#/deliveries', TITLE_ID),
    facts([
      ['Id', el('span', 'mono', d.id)],
      ['From', sourceOf(d)],
      ['Event id', el('span', 'mono', d.eventId)],
      ['URL', el('span', 'mono', d.url)],
      ['Scheme', d.scheme],
      ['Created', `${formatTime(d.createdAt)} (${d.createdAt})`],
      ['Next attempt', d.nextAttemptAt && d.status === 'pending' ? formatTime(d.nextAttemptAt) : undefined],
      ['Error', d.error || undefined],
    ]),
    el('h3', null, `Attempts (${d.attempts.length})`),
    d.attempts.length ? attemptsTable(d.attempts) : el('p', 'muted', 'No attempt has finished yet.'),
  );
  // A delivery that has ended (or was interrupted by a restart) can be sent again: same event id, new attempts.
  if (d.status !== 'pending' || d.interruptedAt) pane.append(retryButton(d));
  pane.dataset.id = d.id;
  pane.hidden = false;
  if (focusedRetry) pane.querySelector('#retry-delivery')?.focus();
}

function showStates() {
  $('delivery-empty').hidden = !(rows.size === 0 && !state.status);
  $('delivery-no-match').hidden = !(rows.size === 0 && state.status);
  $('delivery-rows').closest('table').hidden = rows.size === 0;
  $('delivery-more').hidden = !state.nextCursor;
}

async function loadList(more) {
  const serial = ++state.loadSerial;
  // The stream may change a delivery while the page is on its way: the newer record wins.
  if (!more) state.arrivedDuringLoad = new Map();
  try {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (state.status) params.set('status', state.status);
    if (more && state.nextCursor) params.set('cursor', state.nextCursor);
    const page = await api(`/webhook/deliveries?${params}`);
    if (serial !== state.loadSerial || !state.active) return;
    let items = page.items;
    if (!more) {
      const arrived = state.arrivedDuringLoad || new Map();
      state.arrivedDuringLoad = null;
      const listed = new Set(items.map((d) => d.id));
      const fresh = [...arrived.values()].filter((d) => !listed.has(d.id) && (!state.status || d.status === state.status)).reverse();
      items = [...fresh, ...items.map((d) => arrived.get(d.id) || d)];
      state.records.clear();
      rows.replaceAll(items);
    } else {
      for (const d of items) rows.upsert(d, 'bottom');
    }
    for (const d of items) state.records.set(d.id, d);
    state.nextCursor = page.nextCursor;
    if (state.selected) rows.select(state.selected);
    $('delivery-error').hidden = true;
    showStates();
  } catch (error) {
    if (serial === state.loadSerial) state.arrivedDuringLoad = null;
    $('delivery-error').textContent = `Could not load deliveries: ${error.message}`;
    $('delivery-error').hidden = false;
  }
}

async function open(id) {
  state.selected = id;
  $('view-deliveries').classList.add('has-detail');
  rows.select(id);
  const pane = $('delivery-detail');
  try {
    renderDetail(state.records.get(id) || (await api(`/webhook/deliveries/${encodeURIComponent(id)}`)));
  } catch (error) {
    pane.replaceChildren(detailHead('Delivery', null, '#/deliveries', TITLE_ID), el('p', 'error', `Could not load ${id}: ${error.message}`));
    pane.hidden = false;
  }
  if (!window.matchMedia('(min-width: 1100px)').matches) window.scrollTo(0, 0);
  (pane.querySelector(`#${TITLE_ID}`) || pane).focus({ preventScroll: true });
}

function close() {
  const returnTo = state.selected;
  state.selected = null;
  $('delivery-detail').hidden = true;
  $('delivery-detail').replaceChildren();
  $('view-deliveries').classList.remove('has-detail');
  rows.select(null);
  if (returnTo) rows.focus(returnTo);
}

/** A delivery was created or changed: its row and its open detail follow, only while the view is shown. */
export function onDelivery(d) {
  if (!state.active) return;
  if (state.arrivedDuringLoad) {
    state.arrivedDuringLoad.delete(d.id); // re-inserted: the Map keeps the order of the latest change
    state.arrivedDuringLoad.set(d.id, d);
  }
  const matching = !state.status || d.status === state.status;
  if (state.records.has(d.id) || matching) {
    const isNew = !state.records.has(d.id);
    if (matching || d.id === state.selected) {
      state.records.set(d.id, d);
      rows.upsert(d, isNew ? 'top' : undefined);
    } else {
      // It left the status filtered on (a pending delivery that ended).
      state.records.delete(d.id);
      rows.remove(d.id);
    }
  }
  for (const id of rows.ids().slice(MAX_ROWS)) if (id !== state.selected) {
    state.records.delete(id);
    rows.remove(id);
  }
  if (d.id === state.selected) renderDetail(d);
  showStates();
}

/** The route for this view: `#/deliveries` or `#/deliveries/<id>`; `null` when another view is shown. */
export function route(hash) {
  if (hash === null) {
    // Leaving the view: nothing of it is kept.
    state.active = false;
    state.records.clear();
    state.selected = null;
    rows.replaceAll([]);
    $('delivery-detail').hidden = true;
    $('view-deliveries').classList.remove('has-detail');
    return;
  }
  if (!state.active) {
    state.active = true;
    void loadList(false);
  }
  const id = hash.startsWith('#/deliveries/') ? decodeURIComponent(hash.slice('#/deliveries/'.length)) : '';
  if (id) void open(id);
  else if (state.selected) close();
}

export const onReset = () => state.active && void loadList(false);

export function initDeliveries() {
  $('delivery-status').addEventListener('change', () => {
    state.status = $('delivery-status').value;
    void loadList(false);
  });
  $('delivery-more').addEventListener('click', () => void loadList(true));
}
