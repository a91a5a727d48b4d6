// Debugging tools above the received list (issue 16): send a sample event, mock the receiver's answers, export.
import { $, api, el } from './dom.js';

// The rules list, drawn again after a test event (a rule with `remaining` may have run out).
let refreshRules = async () => undefined;

function field(label, control) {
  return el('label', null, label, control);
}

function input(name, attributes = {}) {
  const node = el('input');
  node.name = name;
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

function result() {
  const node = el('p', 'result');
  node.setAttribute('role', 'status');
  return node;
}

function say(node, text, error = false) {
  node.className = error ? 'result error' : 'result';
  node.textContent = text;
}

/** "Send test event": a sample of the catalogue, signed by the server with the secret it verifies it with. */
async function testEventForm() {
  const form = el('form', 'tool');
  form.id = 'test-event';
  const provider = el('select');
  provider.name = 'provider';
  const event = el('select');
  event.name = 'event';
  const url = input('url', { type: 'url', required: '' });
  url.value = `${location.origin}/webhook/receive`;
  const button = el('button', null, 'Send test event');
  button.type = 'submit';
  const status = result();
  form.append(field('Provider', provider), field('Event', event), field('To', url), button, status);
  let catalogue = {};
  try {
    catalogue = (await api('/webhook/test-events')).catalogue;
  } catch (error) {
    say(status, error.message, true);
  }
  const fill = () => event.replaceChildren(...(catalogue[provider.value] || []).map((name) => el('option', null, name)));
  provider.replaceChildren(...Object.keys(catalogue).map((name) => el('option', null, name)));
  provider.addEventListener('change', fill);
  fill();
  form.addEventListener('submit', async (submitted) => {
    submitted.preventDefault();
    button.disabled = true;
    try {
      const answer = await api('/webhook/test-events?wait=true', { method: 'POST', body: JSON.stringify({ provider: provider.value, event: event.value, url: url.value.trim() }) });
      const last = answer.delivery.attempts[answer.delivery.attempts.length - 1];
      say(status, `Sent ${event.value}: answered ${last && last.statusCode !== undefined ? last.statusCode : (last && last.error) || 'nothing'}.`);
      await refreshRules();
    } catch (error) {
      say(status, error.message, true);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

/** Mock responses: the rules /webhook/receive answers with, listed with a Delete button each. */
function rulesForm() {
  const wrapper = el('div', 'tool');
  wrapper.id = 'response-rules';
  const list = el('ul', 'rules');
  const form = el('form');
  const status = input('status', { type: 'number', min: '200', max: '599', required: '', value: '503' });
  const remaining = input('remaining', { type: 'number', min: '1', placeholder: 'until deleted' });
  const eventType = input('eventType', { placeholder: 'any, or invoice.*' });
  const delayMs = input('delayMs', { type: 'number', min: '0', placeholder: '0' });
  const body = input('body', { placeholder: '{"error":"down"}' });
  const button = el('button', null, 'Add rule');
  button.type = 'submit';
  const message = result();
  form.append(field('Status', status), field('Times', remaining), field('Event type', eventType), field('Delay (ms)', delayMs), field('Body', body), button, message);

  async function refresh() {
    try {
      const { items } = await api('/webhook/response-rules');
      list.replaceChildren(
        ...(items.length
          ? items.map((rule) => {
              const remove = el('button', 'quiet', 'Delete');
              remove.type = 'button';
              remove.setAttribute('aria-label', `Delete rule ${rule.id}`);
              remove.addEventListener('click', async () => {
                await api(`/webhook/response-rules/${encodeURIComponent(rule.id)}`, { method: 'DELETE' }).catch((error) => say(message, error.message, true));
                await refresh();
              });
              const what = `${rule.status}${rule.eventType ? ` to ${rule.eventType}` : ' to every event'}${rule.remaining !== undefined ? `, ${rule.remaining} more` : ''}${rule.delayMs ? ` after ${rule.delayMs} ms` : ''}`;
              const item = el('li', null, el('span', 'mono', rule.id), ' ', what, ' ', remove);
              item.dataset.id = rule.id;
              return item;
            })
          : [el('li', 'muted', 'No rule: /webhook/receive answers 200 as usual.')]),
      );
    } catch (error) {
      say(message, error.message, true);
    }
  }

  form.addEventListener('submit', async (submitted) => {
    submitted.preventDefault();
    const rule = { status: Number(status.value) };
    if (remaining.value) rule.remaining = Number(remaining.value);
    if (eventType.value.trim()) rule.eventType = eventType.value.trim();
    if (delayMs.value) rule.delayMs = Number(delayMs.value);
    if (body.value) {
      try {
        rule.body = JSON.parse(body.value);
      } catch {
        rule.body = body.value; // not JSON: sent as text
      }
    }
    try {
      const answer = await api('/webhook/response-rules', { method: 'POST', body: JSON.stringify(rule) });
      say(message, `Added ${answer.rule.id}.`);
      await refresh();
    } catch (error) {
      say(message, error.message, true);
    }
  });
  wrapper.append(list, form);
  refreshRules = refresh;
  void refresh();
  return wrapper;
}

/** Fills the Debugging tools panel of the page. */
export async function initTools() {
  const panel = $('tools');
  if (!panel) return;
  const exports = el(
    'p',
    'tool',
    'Export the history: ',
    Object.assign(el('a', null, 'NDJSON'), { href: '/webhook/history/export?format=ndjson' }),
    ' · ',
    Object.assign(el('a', null, 'HAR'), { href: '/webhook/history/export?format=har' }),
  );
  panel.append(el('h2', null, 'Send test event'), await testEventForm(), el('h2', null, 'Mock responses'), rulesForm(), exports);
}
