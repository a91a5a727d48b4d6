// The detail pane of one received webhook: facts, body, replay, the deliveries it led to, headers.
import { api, breakable, copyButton, el, facts, formatSize, formatTime, link, statusBadge } from './dom.js';
import { bodyText, bodyView, REDACTED } from './json-view.js';

const SOURCE_WORDS = { send: 'sent', replay: 'replayed', forward: 'forwarded' };
const RECENT_DELIVERIES = 200;

let shown = null; // { id, list: <ul>, deliveries: Map id -> record }: only the open entry's

/** The pane's head: the title and a way back, a Close button on a wide screen and a Back link on a phone. */
export function detailHead(title, badge, backHash, titleId = 'detail-title') {
  const close = link('Close', backHash, 'close');
  close.setAttribute('aria-label', 'Close the details');
  const heading = el('h2', null, breakable(title));
  heading.id = titleId;
  heading.tabIndex = -1;
  return el('div', 'detail-head', link('← Back to the list', backHash, 'back'), heading, badge, close);
}

function headersTable(headers) {
  const tbody = el('tbody');
  for (const name of Object.keys(headers || {}).sort()) {
    const value = headers[name];
    tbody.append(el('tr', null, el('td', null, name), el('td', null, value === REDACTED ? el('span', 'badge redacted', 'redacted') : value)));
  }
  return el('table', 'headers', tbody);
}

function replayForm(entry, config) {
  const form = el('form', 'replay');
  form.setAttribute('novalidate', '');
  const input = el('input');
  input.type = 'url';
  input.name = 'url';
  input.required = true;
  // The forward target is where a developer usually wants the event again.
  input.placeholder = config.forwardUrl || 'http://localhost:4000/webhooks';
  input.value = localStorage.getItem('replayUrl') || config.forwardUrl || '';
  input.setAttribute('autocomplete', 'url');
  const preserve = el('input');
  preserve.type = 'checkbox';
  preserve.name = 'preserveHeaders';
  const scheme = el('select', null, ...['native', 'standard', 'stripe', 'github'].map((name) => el('option', null, name)));
  scheme.name = 'scheme';
  scheme.value = entry.scheme || 'native'; // the dialect it arrived in, as a forward is signed
  // Edit and replay: a changed body is sent as typed and signed afresh.
  const edited = el('textarea', 'edit-body');
  edited.name = 'body';
  edited.rows = 4;
  edited.value = bodyText(entry.payload);
  const original = edited.value;
  const button = el('button', null, 'Replay');
  button.type = 'submit';
  const result = el('p', 'result');
  result.setAttribute('role', 'status');
  form.append(
    el('label', 'url', 'Send this exact body to', input),
    button,
    el('div', 'options', el('label', null, preserve, 'Keep original headers'), el('label', null, 'Sign as', scheme)),
    el('details', 'edit', el('summary', null, 'Edit the body before sending'), edited),
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
        body: JSON.stringify({ url, preserveHeaders: preserve.checked, scheme: scheme.value, ...(edited.value !== original ? { body: edited.value } : {}) }),
      });
      localStorage.setItem('replayUrl', url);
      result.className = 'result';
      result.replaceChildren('Queued as delivery ', link(answer.delivery.id, `#/deliveries/${encodeURIComponent(answer.delivery.id)}`), '.');
      onDelivery(answer.delivery);
    } catch (error) {
      result.className = 'result error';
      result.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** What the app answered the last attempt: status, time and the first bytes of its body (issue 16). */
function answerOf(d) {
  const last = d.attempts && d.attempts[d.attempts.length - 1];
  if (!last) return '';
  const status = last.statusCode !== undefined ? `${last.statusCode}` : last.error || 'no answer';
  const body = (last.responseBody || '').slice(0, 120);
  return el('div', 'answer', el('span', 'mono', `answered ${status} in ${last.durationMs} ms`), body ? el('pre', 'answer-body', body) : '');
}

function deliveryItem(d) {
  const what = `${SOURCE_WORDS[d.source && d.source.kind] || 'sent'} to ${d.url}`;
  const item = el('li', null, link(d.id, `#/deliveries/${encodeURIComponent(d.id)}`, 'mono'), ' ', statusBadge(d.status), ' ', el('span', 'muted', what), answerOf(d));
  item.dataset.id = d.id;
  return item;
}

function renderDeliveries() {
  const items = [...shown.deliveries.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)).map(deliveryItem);
  shown.list.replaceChildren(...(items.length ? items : [el('li', 'muted', 'None yet: replay it above, or set FORWARD_URL to forward every webhook.')]));
}

/** A delivery was created or changed: shown under the open entry when it re-sends that entry. */
export function onDelivery(record) {
  if (!shown || !record.source || record.source.historyId !== shown.id) return;
  // The replay's answer can arrive after the stream told of a later change (the delivery already ended): keep the newer.
  const known = shown.deliveries.get(record.id);
  if (known && (known.updatedAt > record.updatedAt || (known.updatedAt === record.updatedAt && record.status === 'pending'))) return;
  shown.deliveries.set(record.id, record);
  renderDeliveries();
}

async function loadDeliveries(id) {
  try {
    // The API has no filter by source: the recent deliveries are enough for a debugging session.
    const page = await api(`/webhook/deliveries?limit=${RECENT_DELIVERIES}`);
    if (!shown || shown.id !== id) return;
    for (const d of page.items) if (d.source && d.source.historyId === id && !shown.deliveries.has(d.id)) shown.deliveries.set(d.id, d);
    renderDeliveries();
  } catch {
    // The section keeps saying what it knows; the Deliveries tab shows the error.
  }
}

function entryFacts(entry) {
  const verification = entry.verification || {};
  const processing = entry.processing;
  return facts([
      ['Id', el('span', 'copyline', el('span', 'mono', entry.id), copyButton('the id', () => entry.id))],
      ['Received', el('time', null, `${formatTime(entry.receivedAt)} (${entry.receivedAt})`)],
      ['Scheme', entry.scheme || '—'],
      ['Size', formatSize(entry.sizeBytes)],
      ['Verification', verification.ok ? el('span', 'badge ok', 'signature verified') : el('span', null, el('span', 'badge bad', verification.reason || 'failed'), ' ', verification.message || '')],
      ['Processing', processing ? el('span', null, statusBadge(processing.state), processing.durationMs !== undefined ? ` in ${processing.durationMs} ms` : '', processing.error ? ` — ${processing.error}` : '') : el('span', 'muted', 'not processed (rejected)')],
  ['Duplicates', String(entry.duplicates || 0)],
      ...(entry.response ? [['Answered by', el('span', 'mono', `rule ${entry.response.ruleId}: ${entry.response.status}`)]] : []),
      ...explanationFacts(verification.explanation),
  ]);
}

/** Why a signature failed: the signed content, the likely mistake, the configured secrets' fingerprints. */
function explanationFacts(explanation) {
  if (!explanation) return [];
  const fingerprints = explanation.secrets.map((s) => `${s.variable}: ${s.fingerprints.join(', ')}`).join('; ');
  return [
    ['Signed content', el('span', 'mono', explanation.signedContent)],
    ...(explanation.hint ? [['Likely cause', el('strong', 'hint', explanation.hint)]] : []),
    ['Secret fingerprints', el('span', 'mono', `${fingerprints} (first 6 hex of sha256 of each secret)`)],
  ];
}

/** "Copy as curl": signed afresh (accepted events) or as recorded, shown and copied. */
function curlTools(entry) {
  const shownCommand = el('pre', 'curl');
  shownCommand.hidden = true;
  const buttons = (entry.status === 'accepted' ? [['fresh', 'Copy as curl (signed afresh)']] : []).concat([['original', 'Copy as curl (as received)']]).map(([mode, label]) => {
    const button = el('button', 'quiet', label);
    button.type = 'button';
    button.dataset.curl = mode;
    button.addEventListener('click', async () => {
      const response = await fetch(`/webhook/history/${encodeURIComponent(entry.id)}/curl?mode=${mode}`);
      shownCommand.textContent = await response.text();
      shownCommand.hidden = false;
      await navigator.clipboard?.writeText(shownCommand.textContent).catch(() => undefined);
    });
    return button;
  });
  return el('div', 'curl-tools', ...buttons, shownCommand);
}

/** Renders the entry into the pane. */
export function renderEntry(pane, entry, config, backHash) {
  const parts = [
    detailHead(entry.eventType || '(no type)', statusBadge(entry.status), backHash),
    entryFacts(entry),
    el('div', 'section-head', el('h3', null, entry.status === 'rejected' ? 'Body (preview)' : 'Body'), copyButton('the body', () => bodyText(entry.payload))),
    ...bodyView(entry.payload),
    curlTools(entry),
  ];
  const sameEntry = shown && shown.id === entry.id;
  if (!sameEntry) shown = { id: entry.id, list: el('ul', 'deliveries-of'), deliveries: new Map() };
  if (entry.status === 'accepted') {
    parts.push(el('h3', null, 'Replay'), replayForm(entry, config), el('h3', null, 'Deliveries of this event'), shown.list);
  }
  parts.push(el('h3', null, 'Headers'), headersTable(entry.headers));
  pane.replaceChildren(...parts);
  pane.dataset.id = entry.id;
  pane.hidden = false;
  if (entry.status === 'accepted') {
    renderDeliveries();
    if (!sameEntry) void loadDeliveries(entry.id);
  }
}

export function clearEntry(pane) {
  shown = null;
  pane.hidden = true;
  pane.replaceChildren();
  pane.removeAttribute('data-id');
}

/** The open entry changed (a duplicate, its processing): only its facts are drawn again, the rest stays as it is. */
export function refreshEntry(pane, entry) {
  const current = pane.querySelector('dl.facts');
  if (pane.hidden || pane.dataset.id !== entry.id || !current) return;
  const focused = current.contains(document.activeElement) ? document.activeElement.dataset.copy : undefined;
  const next = entryFacts(entry);
  current.replaceWith(next);
  if (focused) next.querySelector(`[data-copy="${focused}"]`)?.focus();
}
