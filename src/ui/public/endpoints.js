// The Endpoints view (provider mode, docs/endpoints.md): your customers' endpoints with their status and success
// rate; one endpoint's detail with its recent deliveries; create, edit, enable/disable, rotate the secret (shown
// once), recover, and send a test event. Everything goes through the management API, nothing is cached.
import { $, api, breakable, copyButton, el, facts, formatTime, link, statusBadge, timeCell } from './dom.js';
import { detailHead } from './entry-detail.js';

const TITLE_ID = 'endpoint-detail-title';
const state = { active: false, selected: null };

const percent = (rate) => (rate === null || rate === undefined ? '–' : `${Math.round(rate * 100)} %`);
const statusOf = (e) => el('span', `badge ${e.enabled ? 'ok' : 'bad'}`, e.enabled ? 'enabled' : 'disabled');
const csv = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);

function showError(target, error) {
  target.hidden = false;
  target.textContent = error.message;
}

/** The secret, shown this once, with its copy button. */
function secretOnce(secret, note) {
  const code = el('code', 'mono secret', secret);
  code.dataset.secret = '';
  return el('div', 'secret-once', el('p', null, note), el('div', 'copy-row', code, copyButton('secret', () => secret)));
}

/** A labelled input; `attrs` go on the input. */
function field(label, name, attrs = {}) {
  const input = el(attrs.tag || 'input');
  input.name = name;
  for (const [key, value] of Object.entries(attrs)) if (key !== 'tag' && key !== 'options') input.setAttribute(key, value);
  for (const [value, text] of attrs.options || []) {
    const option = el('option', null, text);
    option.value = value;
    input.append(option);
  }
  return el('label', null, label, input);
}

function endpointForm(endpoint, onSubmit) {
  const form = el('form', 'endpoint-form');
  form.setAttribute('novalidate', '');
  const parts = [
    field('URL', 'url', { type: 'url', required: '', placeholder: 'https://customer.example/webhooks', value: endpoint ? endpoint.url : '' }),
    endpoint ? null : field('Customer (appId)', 'appId', { placeholder: 'default', autocomplete: 'off' }),
    field('Event types', 'eventTypes', { placeholder: 'all, or invoice.*, user.created', value: endpoint ? endpoint.eventTypes.join(', ') : '' }),
    field('Description', 'description', { value: endpoint ? endpoint.description : '' }),
    endpoint ? null : field('Scheme', 'scheme', { tag: 'select', options: [['native', 'native'], ['standard', 'standard (whsec_)']] }),
    field('Retries', 'retrySchedule', { tag: 'select', options: [['exponential', 'exponential'], ['svix', 'svix: 5 s … 10 h']] }),
    field('Rate limit (per second)', 'rateLimit', { type: 'number', min: '1', placeholder: 'none', value: endpoint && endpoint.rateLimit ? String(endpoint.rateLimit) : '' }),
  ];
  form.append(...parts.filter(Boolean));
  if (endpoint) form.elements.retrySchedule.value = endpoint.retrySchedule;
  const error = el('p', 'error', '');
  error.hidden = true;
  error.setAttribute('role', 'alert');
  const submit = el('button', null, endpoint ? 'Save' : 'Create endpoint');
  submit.type = 'submit';
  form.append(submit, error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { url: data.get('url'), eventTypes: csv(String(data.get('eventTypes') || '')), description: String(data.get('description') || ''), retrySchedule: data.get('retrySchedule') };
    const rate = String(data.get('rateLimit') || '');
    body.rateLimit = rate === '' ? null : Number(rate);
    if (!endpoint) {
      body.scheme = data.get('scheme');
      if (data.get('appId')) body.appId = data.get('appId');
    }
    submit.disabled = true;
    try {
      await onSubmit(body);
      error.hidden = true;
    } catch (err) {
      showError(error, err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

async function loadList() {
  const list = $('endpoint-rows');
  const error = $('endpoint-error');
  error.hidden = true;
  try {
    const page = await api('/webhook/endpoints?limit=500');
    const stats = await Promise.all(page.items.map((e) => api(`/webhook/endpoints/${encodeURIComponent(e.id)}/stats`).catch(() => null)));
    list.replaceChildren();
    page.items.forEach((e, i) => {
      const row = el(
        'tr',
        null,
        el('td', 'url', link(e.url, `#/endpoints/${encodeURIComponent(e.id)}`)),
        el('td', 'app', e.appId),
        el('td', 'status', statusOf(e)),
        el('td', 'num rate', percent(stats[i] && stats[i].lastDay.successRate)),
      );
      row.dataset.id = e.id;
      row.setAttribute('aria-selected', String(e.id === state.selected));
      list.append(row);
    });
    $('endpoint-table').hidden = page.items.length === 0;
    $('endpoint-empty').hidden = page.items.length > 0;
  } catch (err) {
    showError(error, err);
  }
}

function deliveriesList(items) {
  if (items.length === 0) return el('p', 'muted', 'No deliveries yet.');
  const body = el('tbody');
  for (const d of items) {
    const last = d.attempts[d.attempts.length - 1];
    body.append(
      el(
        'tr',
        null,
        timeCell(d.createdAt),
        el('td', 'event', link(d.eventType, `#/deliveries/${encodeURIComponent(d.id)}`)),
        el('td', 'status', statusBadge(d.status)),
        el('td', 'num', `${d.attempts.length}`),
        el('td', 'result', last ? (last.statusCode !== undefined ? String(last.statusCode) : last.error || '') : ''),
      ),
    );
  }
  return el('div', 'attempts-wrap', el('table', 'attempts endpoint-deliveries', body));
}

function action(text, run, className) {
  const button = el('button', className || 'quiet', text);
  button.type = 'button';
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await run();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

async function renderDetail(id) {
  const pane = $('endpoint-detail');
  const base = `/webhook/endpoints/${encodeURIComponent(id)}`;
  const [e, stats, recent] = await Promise.all([api(base), api(`${base}/stats`), api(`${base}/deliveries?limit=20`)]);
  if (state.selected !== id) return;
  const out = el('div', 'endpoint-output');
  out.setAttribute('aria-live', 'polite');
  const say = (node) => out.replaceChildren(node);
  const fail = (err) => say(el('p', 'error', err.message));
  const refresh = () => openEndpoint(id, false);

  const since = el('input');
  since.type = 'datetime-local';
  since.name = 'since';
  since.setAttribute('aria-label', 'Recover failed deliveries since');
  since.value = new Date(Date.now() - 24 * 3_600_000 - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  const testType = el('input');
  testType.name = 'testEventType';
  testType.setAttribute('aria-label', 'Test event type');
  testType.value = (e.eventTypes.find((t) => !t.includes('*')) || (e.eventTypes[0] || 'test.event').replace('*', 'test'));

  pane.replaceChildren(
    detailHead(e.url, statusOf(e), '#/endpoints', TITLE_ID),
    facts([
      ['Id', el('span', 'mono', e.id)],
      ['Customer', e.appId],
      ['Event types', e.eventTypes.length ? breakable(e.eventTypes.join(', ')) : 'all'],
      ['Scheme', e.scheme],
      ['Retries', e.retrySchedule],
      ['Rate limit', e.rateLimit ? `${e.rateLimit} per second` : 'none'],
      ['Disabled because', e.disabledReason || undefined],
      ['Success, last hour', `${percent(stats.lastHour.successRate)} (${stats.lastHour.delivered} delivered, ${stats.lastHour.failed} failed)`],
      ['Success, last day', `${percent(stats.lastDay.successRate)} (${stats.lastDay.delivered} delivered, ${stats.lastDay.failed} failed)`],
      ['Last success', stats.lastSuccessAt ? formatTime(stats.lastSuccessAt) : 'never'],
      ['Last failure', stats.lastFailureAt ? formatTime(stats.lastFailureAt) : 'never'],
    ]),
    el(
      'div',
      'endpoint-actions',
      action(e.enabled ? 'Disable' : 'Enable', () => api(base, { method: 'PATCH', body: JSON.stringify({ enabled: !e.enabled }) }).then(refresh, fail)),
      action('Rotate secret', () =>
        api(`${base}/secret/rotate`, { method: 'POST' }).then(
          (r) => say(secretOnce(r.secret, `New secret, shown once. The old one keeps signing beside it until ${formatTime(r.previousSecretUntil)}.`)),
          fail,
        ),
      ),
    ),
    el(
      'div',
      'endpoint-actions',
      testType,
      action('Send test event', () =>
        api('/webhook/events', { method: 'POST', body: JSON.stringify({ appId: e.appId, eventType: testType.value, payload: { test: true, sentAt: new Date().toISOString() } }) }).then(
          (r) => say(el('p', null, `Event ${r.eventId}: ${r.deliveries.length} deliver${r.deliveries.length === 1 ? 'y' : 'ies'} queued.`)),
          fail,
        ),
      ),
    ),
    el(
      'div',
      'endpoint-actions',
      since,
      action('Recover failed', () =>
        api(`${base}/recover`, { method: 'POST', body: JSON.stringify({ since: new Date(since.value).toISOString() }) }).then(
          (r) => say(el('p', null, `Recovery ${r.job.id}: ${r.job.total} failed deliver${r.job.total === 1 ? 'y' : 'ies'} to send again.`)),
          fail,
        ),
      ),
    ),
    out,
    el('h3', null, 'Recent deliveries'),
    deliveriesList(recent.items),
    el('h3', null, 'Edit'),
    endpointForm(e, (body) => api(base, { method: 'PATCH', body: JSON.stringify(body) }).then(refresh)),
  );
}

async function openEndpoint(id, focus = true) {
  state.selected = id;
  const pane = $('endpoint-detail');
  pane.hidden = false;
  $('view-endpoints').classList.add('has-detail');
  try {
    await renderDetail(id);
    if (focus) $(TITLE_ID)?.focus();
  } catch (err) {
    pane.replaceChildren(detailHead(id, null, '#/endpoints', TITLE_ID), el('p', 'error', err.message));
  }
  await loadList();
}

/** `#/endpoints` or `#/endpoints/<id>`; null when another view is shown. */
export function route(hash) {
  state.active = hash !== null;
  if (!state.active) return;
  const match = /^#\/endpoints\/(.+)$/.exec(hash);
  if (match) return void openEndpoint(decodeURIComponent(match[1]));
  state.selected = null;
  $('endpoint-detail').hidden = true;
  $('view-endpoints').classList.remove('has-detail');
  return void loadList();
}

export function initEndpoints() {
  const slot = $('endpoint-create');
  const output = $('endpoint-created');
  slot.append(
    endpointForm(null, async (body) => {
      const { endpoint, secret } = await api('/webhook/endpoints', { method: 'POST', body: JSON.stringify(body) });
      output.replaceChildren(secretOnce(secret, `Created ${endpoint.id}. Its secret, shown once (GET /webhook/endpoints/${endpoint.id}/secret shows it again):`));
      output.hidden = false;
      slot.closest('details').open = false;
      await loadList();
    }),
  );
}
