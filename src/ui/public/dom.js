// Small DOM helpers shared by the page's modules.
// Payloads and headers are attacker-controlled: every value reaches the page through text nodes or an
// attribute set with setAttribute on a fixed name, never through innerHTML.

export const $ = (id) => document.getElementById(id);

/** An element with a class and children (strings become text nodes, never markup). */
export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return node;
}

/** A link to a hash route of the page. */
export function link(text, hash, className) {
  const a = el('a', className, text);
  a.href = hash;
  return a;
}

/**
 * A dotted name (`customer.subscription.trial_will_end`) with a break opportunity after each dot (and slash or
 * colon), so a narrow column wraps it between its parts rather than mid-word; `_` and `-` join words, so no break.
 */
export function breakable(text) {
  const span = el('span', 'breakable');
  for (const part of String(text).split(/(?<=[./:])/)) span.append(part, el('wbr'));
  return span;
}

/** Fetches JSON from the API; throws an Error carrying the API's `code: message` on a non-2xx answer. */
export async function api(path, init) {
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
  if (!response.ok) {
    const error = new Error(body && body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

/** Date and time, in the reader's locale: `Dec 2, 14:03:05`, with the year when it is not this year's. */
export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const sameYear = date.getFullYear() === new Date().getFullYear();
  const day = date.toLocaleDateString(undefined, sameYear ? { month: 'short', day: 'numeric' } : { year: 'numeric', month: 'short', day: 'numeric' });
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return `${day}, ${time}`;
}

export function formatSize(bytes) {
  if (typeof bytes !== 'number') return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function timeCell(iso) {
  const time = el('time', null, formatTime(iso));
  time.setAttribute('datetime', String(iso));
  time.setAttribute('title', String(iso));
  return el('td', 'time', time);
}

export function statusBadge(status) {
  const s = String(status);
  const code = Number(s);
  const ok = s === 'accepted' || s === 'delivered' || s === 'done' || (code >= 200 && code < 300);
  const bad = s === 'rejected' || s === 'failed' || code >= 300;
  return el('span', `badge ${ok ? 'ok' : bad ? 'bad' : 'warn'}`, s);
}

/** Label/value pairs; an undefined value skips its pair. */
export function facts(pairs) {
  const dl = el('dl', 'facts');
  for (const [label, value] of pairs) {
    if (value === undefined) continue;
    dl.append(el('dt', null, label), el('dd', null, value));
  }
  return dl;
}

async function writeClipboard(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  // Plain http from another machine is not a secure context: the older selection-based copy still works there.
  const area = el('textarea', 'offscreen');
  area.value = text;
  area.setAttribute('readonly', '');
  document.body.append(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied) throw new Error('copy refused');
  return undefined;
}

/** A button that copies `text()` and says so for a moment. `what` names it for screen readers. */
export function copyButton(what, text) {
  const button = el('button', 'copy quiet', 'Copy');
  button.type = 'button';
  button.setAttribute('aria-label', `Copy ${what}`);
  button.dataset.copy = what;
  button.addEventListener('click', async () => {
    try {
      await writeClipboard(text());
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy failed';
    }
    setTimeout(() => (button.textContent = 'Copy'), 1500);
  });
  return button;
}
