// The empty state: where to send webhooks, and a command that sends a signed one at once.
import { copyButton, el } from './dom.js';

/** A single-quoted shell word: safe whatever the secret holds. */
const shellQuote = (text) => `'${String(text).replaceAll("'", `'\\''`)}'`;

/**
 * A bash command that signs a test event the way the native scheme wants it (HMAC-SHA256 of
 * `<timestamp>.<body>`, hex) and posts it. With the secret only when the server gave it (a page on this machine).
 */
export function receiveCommand(receiveUrl, secret) {
  return [
    `SECRET=${secret ? shellQuote(secret) : "'<your WEBHOOK_SECRET>'"}`,
    `BODY='{"hello": "world"}'`,
    'TS=$(date +%s)',
    `SIG=$(printf '%s' "$TS.$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')`,
    `curl -X POST ${receiveUrl} \\`,
    `  -H 'Content-Type: application/json' -H 'X-Webhook-Event: test.ping' \\`,
    `  -H "X-Webhook-Timestamp: $TS" -H "X-Webhook-Signature: sha256=$SIG" \\`,
    '  -d "$BODY"',
  ].join('\n');
}

/** Fills the empty-state container from the page's config (`GET /ui/config`). */
export function renderOnboarding(container, config) {
  const receiveUrl = `${location.origin}${config.receivePath || '/webhook/receive'}`;
  const command = receiveCommand(receiveUrl, config.secret);
  const url = el('code', 'mono', receiveUrl);
  url.id = 'receive-url';
  const pre = el('pre', 'code command', command);
  pre.id = 'receive-command';
  pre.setAttribute('tabindex', '0');
  const secretNote = config.secret
    ? `The command carries this server's signing secret (the first of WEBHOOK_SECRET${config.secretGenerated ? ', generated for this run: set WEBHOOK_SECRET in .env to keep it' : ''}), shown because this page is open on the server's own machine.`
    : 'Replace <your WEBHOOK_SECRET> with the server\'s secret: it is shown only to a page opened on the server\'s own machine.';
  container.replaceChildren(
    el('h2', null, 'No webhooks yet'),
    el('p', null, 'Point your sender at this URL. Webhooks appear here as they arrive, accepted or rejected, with the reason.'),
    el('div', 'copyline', url, copyButton('the receive URL', () => receiveUrl)),
    el('p', null, 'Or send a signed test event now (bash, curl and openssl):'),
    el('div', 'copyblock', pre, copyButton('the command', () => command)),
    el('p', 'muted', secretNote),
  );
}
