import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { createApp } from '../../src/app';
import type { AppDeps } from '../../src/deps';
import type { HistoryEntry } from '../../src/history/store';
import { MemoryHistoryStore } from '../../src/storage/memory/history-store';
import { MemoryStorage } from '../../src/storage/memory/storage';
import { fakeClock, makeDeps, testConfig } from '../helpers/deps';
import { nativeHeaders } from '../helpers/sign';

/**
 * The receive route's answers as bytes on the wire (issue 13): the route writes its 200 itself and runs before
 * the app-wide middleware, so these pin what a sender sees, header order included, for every answer it gives.
 * `Date` is Node's and changes every second, so it is the one header left out.
 */

const MACHINE =
  "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n" +
  'X-Content-Type-Options: nosniff\r\n' +
  'Cache-Control: no-store\r\n' +
  'Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n';

let server: Server | undefined;

async function serve(deps: AppDeps): Promise<number> {
  // As server.ts builds it: a request without Host is answered by the app, not refused by Node.
  server = createServer({ requireHostHeader: false }, createApp(deps));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Sends raw request bytes; resolves with the whole answer (headers and Content-Length bytes of body), Date removed. */
function exchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)\r\n/i.exec(text);
      if (end >= 0 && length && Buffer.byteLength(text.slice(end + 4)) >= Number(length[1])) {
        socket.destroy();
        resolve(text.replace(/\r\nDate: [^\r]*/, ''));
      }
    });
    socket.on('error', reject);
  });
}

function post(body: string, headers: Record<string, string>, path = '/webhook/receive', host = 'Host: localhost\r\n'): string {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `POST ${path} HTTP/1.1\r\n${host}${lines.join('')}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const KEEP_ALIVE = 'Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n';

function answer(status: string, body: string, extra = '', security = MACHINE): string {
  return `HTTP/1.1 ${status}\r\n${security}${extra}Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${KEEP_ALIVE}\r\n${body}`;
}

describe('POST /webhook/receive on the wire', () => {
  it('answers an accepted webhook, then its duplicate, with the API security headers and the JSON body', async () => {
    const clock = fakeClock();
    const port = await serve(makeDeps({ now: clock.now }));
    const body = '{"hello":"wire"}';
    const request = post(body, nativeHeaders(body, { nowMs: clock.now(), id: 'evt_wire_1' }));

    expect(await exchange(port, request)).toBe(answer('200 OK', '{"received":true,"id":"evt_wire_1","duplicate":false}'));
    expect(await exchange(port, request)).toBe(answer('200 OK', '{"received":true,"id":"evt_wire_1","duplicate":true}'));
  });

  it('escapes an id that needs it in the JSON answer', async () => {
    const clock = fakeClock();
    const port = await serve(makeDeps({ now: clock.now }));
    const body = '{}';
    const id = 'evt_"quoted"_\\_/x';

    const text = await exchange(port, post(body, nativeHeaders(body, { nowMs: clock.now(), id })));

    expect(text).toBe(answer('200 OK', JSON.stringify({ received: true, id, duplicate: false })));
  });

  it('answers a request without a signature 401 with the same headers', async () => {
    const port = await serve(makeDeps());
    const text = await exchange(port, post('{}', { 'Content-Type': 'application/json' }));

    expect(text).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(text.slice(0, text.indexOf('Content-Type: '))).toBe(`HTTP/1.1 401 Unauthorized\r\n${MACHINE}`);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'signature.missing', message: expect.any(String) } });
  });

  it('answers 503 with Retry-After and the same headers when the event cannot be stored', async () => {
    class FullDiskHistory extends MemoryHistoryStore {
      override insert(_entry: HistoryEntry): void {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      }
    }
    const clock = fakeClock();
    const storage = new MemoryStorage(testConfig(), { history: new FullDiskHistory({ limit: 10, rejectedLimit: 10 }) });
    const port = await serve(makeDeps({ now: clock.now, storage }));
    const body = '{}';

    const text = await exchange(port, post(body, nativeHeaders(body, { nowMs: clock.now(), id: 'evt_full_1' })));

    expect(text.startsWith(`HTTP/1.1 503 Service Unavailable\r\n${MACHINE}Retry-After: 5\r\nContent-Type: application/json; charset=utf-8\r\n`)).toBe(true);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'storage.unavailable', message: expect.any(String) } });
  });

  it('answers a body over the limit 413 with the same headers', async () => {
    const port = await serve(makeDeps({ env: { MAX_BODY_BYTES: '100' } }));
    const body = `"${'x'.repeat(200)}"`;
    const message = 'The request body is larger than the limit of 100 bytes.';

    const text = await exchange(port, post(body, { 'Content-Type': 'application/json' }));

    expect(text).toBe(answer('413 Payload Too Large', JSON.stringify({ error: { code: 'body.too_large', message } })));
  });

  it('answers a request without Host 400 before reading it, with the same headers', async () => {
    const port = await serve(makeDeps());
    const message = 'An HTTP/1.1 request must carry a Host header.';

    const text = await exchange(port, post('{}', { 'Content-Type': 'application/json' }, '/webhook/receive', ''));

    expect(text).toBe(answer('400 Bad Request', JSON.stringify({ error: { code: 'request.host_missing', message } })));
  });

  it('answers GET 405 with Allow and the same headers', async () => {
    const port = await serve(makeDeps());

    const text = await exchange(port, 'GET /webhook/receive HTTP/1.1\r\nHost: localhost\r\n\r\n');

    expect(text.startsWith(`HTTP/1.1 405 Method Not Allowed\r\n${MACHINE}Allow: POST\r\nContent-Type: application/json; charset=utf-8\r\n`)).toBe(true);
  });

  it('shares one rate-limit budget between POST and the other methods, answering 429 with Retry-After', async () => {
    const clock = fakeClock();
    const port = await serve(makeDeps({ now: clock.now, env: { RECEIVE_RATE_LIMIT: '1' } }));
    const message = 'Too many requests from this address: the limit is 1 a minute. Retry after 60 s.';
    const limited = answer('429 Too Many Requests', JSON.stringify({ error: { code: 'rate_limited', message } }), 'Retry-After: 60\r\n');

    expect(await exchange(port, 'GET /webhook/receive HTTP/1.1\r\nHost: localhost\r\n\r\n')).toMatch(/^HTTP\/1\.1 405 /);
    expect(await exchange(port, post('{}', { 'Content-Type': 'application/json' }))).toBe(limited);
  });

  it('gives the machine headers to the route with a trailing slash, and the page set to another spelling of the path', async () => {
    const port = await serve(makeDeps());

    const slash = await exchange(port, post('{}', { 'Content-Type': 'application/json' }, '/webhook/receive/'));
    const upper = await exchange(port, post('{}', { 'Content-Type': 'application/json' }, '/Webhook/Receive'));

    expect(slash.startsWith(`HTTP/1.1 401 Unauthorized\r\n${MACHINE}Content-Type`)).toBe(true);
    expect(upper).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\nContent-Security-Policy: default-src 'self'/);
    expect(upper).toMatch(/\r\nCross-Origin-Opener-Policy: same-origin\r\n/);
  });

  it('answers with a mock-response rule after the machine headers, the rule overriding them', async () => {
    const clock = fakeClock();
    const deps = makeDeps({ now: clock.now });
    const rule = deps.responseRules.add({ status: 503, body: 'down', headers: { 'Cache-Control': 'max-age=5', 'X-Extra': 'yes' } });
    const port = await serve(deps);
    const body = '{}';

    const text = await exchange(port, post(body, nativeHeaders(body, { nowMs: clock.now(), id: 'evt_rule_1' })));

    expect(text).toBe(
      'HTTP/1.1 503 Service Unavailable\r\n' +
        "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n" +
        'X-Content-Type-Options: nosniff\r\nCache-Control: max-age=5\r\n' +
        'Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n' +
        `X-Extra: yes\r\nx-webhook-response-rule: ${rule?.id ?? ''}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n${KEEP_ALIVE}\r\ndown`,
    );
  });
});
