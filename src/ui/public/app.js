// The history page. Vanilla JS, no build step, nothing fetched from elsewhere.
// Payloads and headers are attacker-controlled: every value reaches the page through textContent or an
// attribute set with setAttribute on a fixed name, never through innerHTML.
'use strict';

(function main() {
  const PAGE_SIZE = 50;
  const HIGHLIGHT_LIMIT_CHARS = 200000; // larger bodies are shown as plain text: thousands of spans are slow
  const REDACTED = '[redacted]';
  const DELIVERY_POLL_MS = 2000;

  const $ = (id) => document.getElementById(id);

  /** An element with a class and children (strings become text nodes, never markup). */
  function el(tag, className, ...children) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
    }
    return node;
  }

  async function api(path, init) {
    const response = await fetch(path, {
      ...init,
      headers: { accept: 'application/json', ...(init && init.body ? { 'content-type': 'application/json' } : {}) },
    });
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!response.ok && response.status !== 202) {
      const message = body && body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function formatTime(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    const today = new Date().toDateString() === date.toDateString();
    return today ? time : `${date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
  }

  function formatSize(bytes) {
    if (typeof bytes !== 'number') return '';
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function timeCell(iso) {
    const cell = el('td', 'time', formatTime(iso));
    cell.setAttribute('title', String(iso));
    return cell;
  }

  function statusBadge(status) {
    const kind = status === 'accepted' || status === 'delivered' || status === 'done' ? 'ok' : status === 'rejected' || status === 'failed' ? 'bad' : 'warn';
    return el('span', `badge ${kind}`, String(status));
  }

  // ---------------------------------------------------------------------------------------------------
  // JSON, highlighted with spans and text nodes only.

  function renderJson(value, indent, out) {
    const pad = '  '.repeat(indent);
    if (value === null) {
      out.append(el('span', 'j-lit', 'null'));
    } else if (typeof value === 'string') {
      out.append(el('span', value === REDACTED ? 'j-str j-redacted' : 'j-str', JSON.stringify(value)));
    } else if (typeof value === 'number') {
      out.append(el('span', 'j-num', String(value)));
    } else if (typeof value === 'boolean') {
      out.append(el('span', 'j-lit', String(value)));
    } else if (Array.isArray(value)) {
      if (value.length === 0) return out.append('[]');
      out.append('[\n');
      value.forEach((item, i) => {
        out.append(`${pad}  `);
        renderJson(item, indent + 1, out);
        out.append(i < value.length - 1 ? ',\n' : '\n');
      });
      out.append(`${pad}]`);
    } else if (typeof value === 'object') {
      const keys = Object.keys(value);
      if (keys.length === 0) return out.append('{}');
      out.append('{\n');
      keys.forEach((key, i) => {
        out.append(`${pad}  `, el('span', 'j-key', JSON.stringify(key)), ': ');
        renderJson(value[key], indent + 1, out);
        out.append(i < keys.length - 1 ? ',\n' : '\n');
      });
      out.append(`${pad}}`);
    } else {
      out.append(String(value));
    }
    return undefined;
  }

  function bodyBlock(payload) {
    const pre = el('pre', 'code');
    pre.setAttribute('tabindex', '0'); // scrollable with the keyboard
    pre.setAttribute('aria-label', 'Body');
    if (payload === null || payload === undefined || payload === '') {
      pre.append(el('span', 'muted', '(empty body)'));
    } else if (typeof payload === 'string') {
      pre.textContent = payload;
    } else {
      const text = JSON.stringify(payload, null, 2);
      if (text.length > HIGHLIGHT_LIMIT_CHARS) pre.textContent = text;
      else renderJson(payload, 0, pre);
    }
    return pre;
  }

  function facts(pairs) {
    const dl = el('dl', 'facts');
    for (const [label, value] of pairs) {
      if (value === undefined) continue;
      dl.append(el('dt', null, label), el('dd', null, value));
    }
    return dl;
  }

  // ---------------------------------------------------------------------------------------------------
  // Received webhooks

  const state = {
    entries: new Map(), // id -> entry, as the list or the stream last gave it
    order: [], // ids, newest first, of the rows shown
    nextCursor: null,
    selected: null,
    filterEvent: '',
    filterStatus: '',
    fresh: new Set(),
    eventTypes: new Set(),
    loadSerial: 0,
  };

  function matchesFilter(entry) {
    if (state.filterEvent && entry.eventType !== state.filterEvent) return false;
    if (state.filterStatus && entry.status !== state.filterStatus) return false;
    return true;
  }

  function noteEventType(type) {
    if (!type || state.eventTypes.has(type) || state.eventTypes.size > 500) return;
    state.eventTypes.add(type);
    const option = document.createElement('option');
    option.value = type;
    $('event-types').append(option);
  }

  function processingBadge(entry) {
    if (!entry.processing) return null;
    const { state: s } = entry.processing;
    return s === 'done' ? null : el('span', `badge ${s === 'failed' ? 'bad' : 'warn'}`, s === 'failed' ? 'handler failed' : 'processing');
  }

  function entryRow(entry) {
    const row = el(
      'tr',
      state.fresh.has(entry.id) ? 'fresh' : null,
      timeCell(entry.receivedAt),
      el('td', 'event', entry.eventType || el('span', 'muted', '(no type)')),
      el('td', null, entry.scheme || el('span', 'muted', '—')),
      el(
        'td',
        null,
        statusBadge(entry.status),
        ' ',
        entry.duplicates > 0 ? el('span', 'badge', `+${entry.duplicates} dup`) : null,
        ' ',
        processingBadge(entry),
      ),
      el('td', 'num', formatSize(entry.sizeBytes)),
    );
    row.tabIndex = 0;
    row.dataset.id = entry.id;
    row.setAttribute('aria-selected', String(state.selected === entry.id));
    row.setAttribute('aria-label', `${entry.eventType || 'no type'}, ${entry.status}, ${formatTime(entry.receivedAt)}`);
    return row;
  }

  function renderRows() {
    const tbody = $('rows');
    const focusedId = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.id : undefined;
    tbody.replaceChildren(...state.order.map((id) => entryRow(state.entries.get(id))));
    if (focusedId) {
      const again = tbody.querySelector(`tr[data-id="${CSS.escape(focusedId)}"]`);
      if (again) again.focus();
    }
    $('empty').hidden = state.order.length > 0;
    $('more').hidden = !state.nextCursor;
  }

  function listQuery(cursor) {
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (state.filterEvent) params.set('event', state.filterEvent);
    if (state.filterStatus) params.set('status', state.filterStatus);
    if (cursor) params.set('cursor', cursor);
    return `/webhook/history?${params}`;
  }

  async function loadList(more) {
    const serial = ++state.loadSerial;
    try {
      const page = await api(listQuery(more ? state.nextCursor : undefined));
      if (serial !== state.loadSerial) return; // a newer filter won
      if (!more) state.order = [];
      const shown = new Set(state.order);
      for (const entry of page.items) {
        state.entries.set(entry.id, entry);
        noteEventType(entry.eventType);
        if (!shown.has(entry.id)) state.order.push(entry.id);
      }
      state.nextCursor = page.nextCursor;
      $('list-error').hidden = true;
      renderRows();
    } catch (error) {
      $('list-error').textContent = `Could not load the history: ${error.message}`;
      $('list-error').hidden = false;
    }
  }

  /** Rows open on click and on Enter (or Space); the arrow keys move between rows. */
  function rowKeys(tbody, hashFor) {
    const open = (row) => {
      if (row && row.dataset.id) location.hash = hashFor(encodeURIComponent(row.dataset.id));
    };
    tbody.addEventListener('click', (event) => open(event.target.closest('tr')));
    tbody.addEventListener('keydown', (event) => {
      const row = event.target.closest('tr');
      if (!row) return;
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        open(row);
      } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const next = event.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
        if (next) next.focus();
      }
    });
  }

  function headersTable(headers) {
    const tbody = el('tbody');
    for (const name of Object.keys(headers || {}).sort()) {
      const value = headers[name];
      tbody.append(el('tr', null, el('td', null, name), el('td', null, value === REDACTED ? el('span', 'badge redacted', 'redacted') : value)));
    }
    const table = el('table', 'headers', tbody);
    return table;
  }

  function replayForm(entry) {
    const form = el('form', 'replay');
    form.setAttribute('novalidate', '');
    const input = el('input');
    input.type = 'url';
    input.name = 'url';
    input.required = true;
    input.placeholder = 'http://localhost:4000/webhooks';
    input.value = localStorage.getItem('replayUrl') || '';
    input.setAttribute('autocomplete', 'url');
    const preserve = el('input');
    preserve.type = 'checkbox';
    preserve.name = 'preserveHeaders';
    const scheme = el('select', null, el('option', null, 'native'), el('option', null, 'standard'));
    scheme.name = 'scheme';
    const button = el('button', null, 'Replay');
    button.type = 'submit';
    const result = el('p', 'result');
    result.setAttribute('role', 'status');
    form.append(
      el('label', 'url', 'Send this exact body to', input),
      button,
      el('div', 'options', el('label', null, preserve, 'Keep original headers'), el('label', null, 'Sign as', scheme)),
      result,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const url = input.value.trim();
      if (!/^https?:\/\/./i.test(url)) {
        result.className = 'result error';
        result.textContent = 'Enter an http or https URL.';
        input.focus();
        return;
      }
      button.disabled = true;
      result.className = 'result muted';
      result.textContent = 'Sending…';
      try {
        const answer = await api(`/webhook/history/${encodeURIComponent(entry.id)}/replay`, {
          method: 'POST',
          body: JSON.stringify({ url, preserveHeaders: preserve.checked, scheme: scheme.value }),
        });
        localStorage.setItem('replayUrl', url);
        const link = el('a', null, answer.delivery.id);
        link.href = `#/deliveries/${encodeURIComponent(answer.delivery.id)}`;
        result.className = 'result';
        result.replaceChildren('Queued as delivery ', link, '.');
      } catch (error) {
        result.className = 'result error';
        result.textContent = error.message;
      } finally {
        button.disabled = false;
      }
    });
    return form;
  }

  function backButton(hash) {
    const back = el('a', 'back', '← Back to the list');
    back.href = hash;
    return back;
  }

  function renderDetail(entry) {
    const pane = $('detail');
    const verification = entry.verification || {};
    const processing = entry.processing;
    const parts = [
      el('div', 'detail-head', backButton('#/'), el('h2', null, entry.eventType || '(no type)'), statusBadge(entry.status)),
      facts([
        ['Id', el('span', 'mono', entry.id)],
        ['Received', `${formatTime(entry.receivedAt)} (${entry.receivedAt})`],
        ['Scheme', entry.scheme || '—'],
        ['Size', formatSize(entry.sizeBytes)],
        ['Verification', verification.ok ? el('span', 'badge ok', 'signature verified') : el('span', null, el('span', 'badge bad', verification.reason || 'failed'), ' ', verification.message || '')],
        ['Processing', processing ? el('span', null, statusBadge(processing.state), processing.durationMs !== undefined ? ` in ${processing.durationMs} ms` : '', processing.error ? ` — ${processing.error}` : '') : el('span', 'muted', 'not processed (rejected)')],
        ['Duplicates', String(entry.duplicates || 0)],
      ]),
      el('h3', null, entry.status === 'rejected' ? 'Body (preview)' : 'Body'),
      bodyBlock(entry.payload),
    ];
    if (entry.status === 'accepted') parts.push(el('h3', null, 'Replay'), replayForm(entry));
    parts.push(el('h3', null, 'Headers'), headersTable(entry.headers));
    pane.replaceChildren(...parts);
    pane.hidden = false;
    pane.dataset.id = entry.id;
  }

  async function showDetail(id, focus) {
    state.selected = id;
    $('view-received').classList.add('has-detail');
    renderRows();
    try {
      const entry = await api(`/webhook/history/${encodeURIComponent(id)}`);
      if (state.selected !== id) return;
      state.entries.set(id, { ...(state.entries.get(id) || {}), ...entry });
      renderDetail(entry);
      if (focus) $('detail').focus();
    } catch (error) {
      const pane = $('detail');
      pane.replaceChildren(el('div', 'detail-head', backButton('#/')), el('p', 'error', `Could not load ${id}: ${error.message}`));
      pane.hidden = false;
    }
  }

  function hideDetail() {
    const returnTo = state.selected;
    state.selected = null;
    $('detail').hidden = true;
    $('detail').removeAttribute('data-id');
    $('view-received').classList.remove('has-detail');
    renderRows();
    const row = returnTo && $('rows').querySelector(`tr[data-id="${CSS.escape(returnTo)}"]`);
    if (row) row.focus();
  }

  // ---------------------------------------------------------------------------------------------------
  // Live: Server-Sent Events

  function onNewEntry(entry) {
    state.entries.set(entry.id, entry);
    noteEventType(entry.eventType);
    if (!matchesFilter(entry) || state.order.includes(entry.id)) return;
    state.fresh.add(entry.id);
    setTimeout(() => state.fresh.delete(entry.id), 3000);
    state.order.unshift(entry.id);
    renderRows();
  }

  function onUpdate(patch) {
    const known = state.entries.get(patch.id);
    if (!known) return;
    Object.assign(known, patch);
    if (state.order.includes(patch.id)) renderRows();
    const pane = $('detail');
    // Refresh the open detail unless someone is typing in its replay form.
    if (!pane.hidden && pane.dataset.id === patch.id && !pane.contains(document.activeElement)) renderDetail(known);
  }

  function connect() {
    const live = $('live');
    const setLive = (s, text) => {
      live.dataset.state = s;
      live.textContent = text;
    };
    if (!('EventSource' in window)) {
      setLive('off', 'live updates unavailable');
      return;
    }
    const source = new EventSource('/webhook/history/stream');
    const parse = (handler) => (event) => {
      try {
        handler(JSON.parse(event.data));
      } catch {
        // a frame we do not understand is skipped
      }
    };
    source.addEventListener('ready', () => setLive('live', 'live'));
    source.addEventListener('received', parse(onNewEntry));
    source.addEventListener('rejected', parse(onNewEntry));
    source.addEventListener('updated', parse(onUpdate));
    source.addEventListener('cleared', () => {
      state.entries.clear();
      state.order = [];
      state.nextCursor = null;
      renderRows();
    });
    source.addEventListener('reset', () => {
      setLive('live', 'live');
      void loadList(false);
    });
    source.addEventListener('error', () => setLive('reconnecting', 'reconnecting'));
  }

  // ---------------------------------------------------------------------------------------------------
  // Deliveries

  const deliveries = { timer: null, selected: null, status: '' };

  function deliveryRow(d) {
    const row = el(
      'tr',
      null,
      timeCell(d.createdAt),
      el('td', 'event', d.eventType || el('span', 'muted', '(no type)')),
      el('td', 'url', d.url),
      el('td', null, statusBadge(d.status)),
      el('td', 'num', String(d.attempts.length)),
    );
    row.tabIndex = 0;
    row.dataset.id = d.id;
    row.setAttribute('aria-selected', String(deliveries.selected === d.id));
    return row;
  }

  function attemptsTable(attempts) {
    const tbody = el('tbody');
    for (const a of attempts) {
      tbody.append(
        el(
          'tr',
          null,
          el('td', 'num', String(a.number)),
          el('td', 'num', String(a.series)),
          timeCell(a.startedAt),
          el('td', 'num', `${a.durationMs} ms`),
          el('td', null, a.statusCode !== undefined ? statusBadge(String(a.statusCode)) : el('span', 'error', a.error || '')),
          el('td', 'url', a.responseBody ? a.responseBody.slice(0, 200) : ''),
        ),
      );
    }
    for (const row of tbody.querySelectorAll('.badge')) {
      const code = Number(row.textContent);
      row.className = `badge ${code >= 200 && code < 300 ? 'ok' : 'bad'}`;
    }
    const head = el('thead', null, el('tr', null, el('th', 'num', '#'), el('th', 'num', 'Series'), el('th', null, 'Started'), el('th', 'num', 'Took'), el('th', null, 'Result'), el('th', null, 'Response')));
    return el('table', 'attempts', head, tbody);
  }

  function renderDelivery(d) {
    const pane = $('delivery-detail');
    pane.replaceChildren(
      el('div', 'detail-head', backButton('#/deliveries'), el('h2', null, d.eventType || '(no type)'), statusBadge(d.status)),
      facts([
        ['Id', el('span', 'mono', d.id)],
        ['Event id', el('span', 'mono', d.eventId)],
        ['URL', el('span', 'mono', d.url)],
        ['Scheme', d.scheme],
        ['Created', `${formatTime(d.createdAt)} (${d.createdAt})`],
        ['Next attempt', d.nextAttemptAt ? formatTime(d.nextAttemptAt) : undefined],
        ['Error', d.error || undefined],
      ]),
      el('h3', null, `Attempts (${d.attempts.length})`),
      d.attempts.length ? attemptsTable(d.attempts) : el('p', 'muted', 'No attempt has finished yet.'),
    );
    // A delivery that has ended (or was interrupted by a restart) can be sent again: same event id, new attempts.
    if (d.status !== 'pending' || d.interruptedAt) pane.append(retryForm(d));
    pane.hidden = false;
  }

  function retryForm(d) {
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
        void refreshDeliveries();
      } catch (error) {
        result.className = 'result error';
        result.textContent = error.message;
        button.disabled = false;
      }
    });
    return el('div', 'retry', button, result);
  }

  async function refreshDeliveries() {
    try {
      const params = new URLSearchParams({ limit: '100' });
      if (deliveries.status) params.set('status', deliveries.status);
      const page = await api(`/webhook/deliveries?${params}`);
      const tbody = $('delivery-rows');
      const focusedId = tbody.contains(document.activeElement) ? document.activeElement.dataset.id : undefined;
      tbody.replaceChildren(...page.items.map(deliveryRow));
      if (focusedId) {
        const again = tbody.querySelector(`tr[data-id="${CSS.escape(focusedId)}"]`);
        if (again) again.focus();
      }
      $('delivery-empty').hidden = page.items.length > 0;
      $('delivery-error').hidden = true;
      if (deliveries.selected) {
        const d = await api(`/webhook/deliveries/${encodeURIComponent(deliveries.selected)}`);
        if (!$('delivery-detail').contains(document.activeElement) || document.activeElement === $('delivery-detail')) renderDelivery(d);
      }
    } catch (error) {
      $('delivery-error').textContent = `Could not load deliveries: ${error.message}`;
      $('delivery-error').hidden = false;
    }
  }

  function showDeliveries(selected) {
    deliveries.selected = selected;
    $('view-deliveries').classList.toggle('has-detail', Boolean(selected));
    if (!selected) $('delivery-detail').hidden = true;
    void refreshDeliveries();
    if (!deliveries.timer) deliveries.timer = setInterval(() => void refreshDeliveries(), DELIVERY_POLL_MS);
  }

  function stopDeliveries() {
    clearInterval(deliveries.timer);
    deliveries.timer = null;
  }

  // ---------------------------------------------------------------------------------------------------
  // Routing: #/ (list), #/event/<id>, #/deliveries, #/deliveries/<id>

  function route() {
    const hash = location.hash || '#/';
    const onDeliveries = hash.startsWith('#/deliveries');
    $('view-received').hidden = onDeliveries;
    $('view-deliveries').hidden = !onDeliveries;
    $(onDeliveries ? 'nav-deliveries' : 'nav-received').setAttribute('aria-current', 'page');
    $(onDeliveries ? 'nav-received' : 'nav-deliveries').removeAttribute('aria-current');
    if (onDeliveries) {
      const id = hash.slice('#/deliveries/'.length);
      showDeliveries(hash.startsWith('#/deliveries/') && id ? decodeURIComponent(id) : null);
      return;
    }
    stopDeliveries();
    if (hash.startsWith('#/event/')) void showDetail(decodeURIComponent(hash.slice('#/event/'.length)), true);
    else if (state.selected) hideDetail();
  }

  // ---------------------------------------------------------------------------------------------------

  function init() {
    rowKeys($('rows'), (id) => `#/event/${id}`);
    rowKeys($('delivery-rows'), (id) => `#/deliveries/${id}`);

    let debounce = null;
    $('filter-event').addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        state.filterEvent = $('filter-event').value.trim();
        void loadList(false);
      }, 250);
    });
    $('filter-status').addEventListener('change', () => {
      state.filterStatus = $('filter-status').value;
      void loadList(false);
    });
    $('clear-filters').addEventListener('click', () => {
      $('filter-event').value = '';
      $('filter-status').value = '';
      state.filterEvent = '';
      state.filterStatus = '';
      void loadList(false);
    });
    $('filters').addEventListener('submit', (event) => event.preventDefault());
    $('more').addEventListener('click', () => void loadList(true));
    $('delivery-status').addEventListener('change', () => {
      deliveries.status = $('delivery-status').value;
      void refreshDeliveries();
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && location.hash.length > 2 && !event.target.closest('input, select')) {
        location.hash = location.hash.startsWith('#/deliveries') ? '#/deliveries' : '#/';
      }
    });
    window.addEventListener('hashchange', route);

    // The stream first, then the list: an event that arrives in between is merged by id, not lost.
    connect();
    void loadList(false).then(route);
  }

  init();
})();
