// A body, pretty-printed, with JSON syntax highlighting made of spans and text nodes only.
import { el, formatSize } from './dom.js';

/** Larger bodies are shown as plain text: tens of thousands of spans make the page slow to open and scroll. */
export const HIGHLIGHT_LIMIT_CHARS = 200 * 1024;
export const REDACTED = '[redacted]';

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
    if (value.length === 0) return void out.append('[]');
    out.append('[\n');
    value.forEach((item, i) => {
      out.append(`${pad}  `);
      renderJson(item, indent + 1, out);
      out.append(i < value.length - 1 ? ',\n' : '\n');
    });
    out.append(`${pad}]`);
  } else if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return void out.append('{}');
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
}

/** The text a Copy button copies: the body as shown, pretty-printed when it is JSON. */
export function bodyText(payload) {
  if (payload === null || payload === undefined) return '';
  return typeof payload === 'string' ? payload : JSON.stringify(payload, null, 2);
}

/** The body block, and a notice above it when it is too large to highlight (never a silent change). */
export function bodyView(payload) {
  const pre = el('pre', 'code');
  pre.setAttribute('tabindex', '0'); // scrollable with the keyboard
  pre.setAttribute('aria-label', 'Body');
  if (payload === null || payload === undefined || payload === '') {
    pre.append(el('span', 'muted', '(empty body)'));
    return [pre];
  }
  if (typeof payload === 'string') {
    pre.textContent = payload;
    return [pre];
  }
  const text = bodyText(payload);
  if (text.length <= HIGHLIGHT_LIMIT_CHARS) {
    renderJson(payload, 0, pre);
    return [pre];
  }
  pre.textContent = text;
  const notice = el('p', 'notice', `Shown without syntax highlighting: this body is ${formatSize(text.length)} pretty-printed, and highlighting stops above ${HIGHLIGHT_LIMIT_CHARS / 1024} KB to keep the page fast.`);
  notice.setAttribute('role', 'note');
  return [notice, pre];
}
