import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { start, type RunningServer } from '../../src/server';
import { TEST_SECRET } from '../helpers/deps';

/** Sends `header` one byte every `intervalMs` until the server closes the socket or `capMs` passes. */
function trickle(port: number, header: string, intervalMs: number, capMs: number): Promise<{ closedAfterMs: number | null; response: string; bytesSent: number }> {
  return new Promise((resolve) => {
    const startedAt = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let response = '';
    let sent = 0;
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      clearTimeout(cap);
      socket.destroy();
      resolve({ closedAfterMs: closed ? Date.now() - startedAt : null, response, bytesSent: sent });
    };
    const timer = setInterval(() => {
      if (sent < header.length && socket.writable) socket.write(header[sent++]!);
    }, intervalMs);
    const cap = setTimeout(() => finish(false), capMs);
    socket.on('data', (chunk) => (response += chunk.toString('latin1')));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}

describe('server timeouts', () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('cuts off a client that sends its headers one byte at a time once headersTimeout has passed', async () => {
    running = await start(
      { PORT: '0', HOST: '127.0.0.1', WEBHOOK_SECRET: TEST_SECRET, HEADERS_TIMEOUT_MS: '400', REQUEST_TIMEOUT_MS: '1000' },
      { logger: pino({ level: 'silent' }) },
    );
    const port = Number(new URL(running.url).port);
    // 40 bytes of header at 50 ms a byte would take 2 s, far past the 400 ms headersTimeout.
    const header = 'POST /webhook/receive HTTP/1.1\r\nX-Slow: ' + 'a'.repeat(400) + '\r\n\r\n';

    const result = await trickle(port, header, 50, 5_000);

    expect(result.closedAfterMs).not.toBeNull();
    // Not before the timeout; within it plus Node's checking interval (100 ms here) and scheduling slack.
    expect(result.closedAfterMs!).toBeGreaterThanOrEqual(350);
    expect(result.closedAfterMs!).toBeLessThan(2_000);
    expect(result.response).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(result.response.slice(result.response.indexOf('\r\n\r\n') + 4))).toEqual({
      error: { code: 'request.timeout', message: expect.any(String) },
    });
    expect(result.bytesSent).toBeLessThan(header.length);
  });

  it('serves a client that sends its headers promptly on the same server', async () => {
    running = await start({ PORT: '0', HOST: '127.0.0.1', WEBHOOK_SECRET: TEST_SECRET, HEADERS_TIMEOUT_MS: '400' }, { logger: pino({ level: 'silent' }) });
    const res = await fetch(`${running.url}/healthz`);
    const body = (await res.json()) as { status: string; eventLoopDelayMs: { meanMs: number } | null };
    expect(res.status).toBe(200);
    expect(body.status).toBe('ok');
    // start() runs the real event-loop monitor.
    expect(typeof body.eventLoopDelayMs?.meanMs).toBe('number');
  });

  it('closes an idle kept-alive connection after keepAliveTimeout', async () => {
    running = await start({ PORT: '0', HOST: '127.0.0.1', WEBHOOK_SECRET: TEST_SECRET, KEEP_ALIVE_TIMEOUT_MS: '300' }, { logger: pino({ level: 'silent' }) });
    const port = Number(new URL(running.url).port);
    const closedAfterMs = await new Promise<number | null>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
      let answeredAt = 0;
      const cap = setTimeout(() => {
        socket.destroy();
        resolve(null);
      }, 5_000);
      socket.on('data', () => (answeredAt ||= Date.now()));
      socket.on('close', () => {
        clearTimeout(cap);
        resolve(answeredAt ? Date.now() - answeredAt : null);
      });
    });
    expect(closedAfterMs).not.toBeNull();
    expect(closedAfterMs!).toBeGreaterThanOrEqual(250);
    expect(closedAfterMs!).toBeLessThan(2_000);
  });

  it('answers headers larger than Node accepts with a JSON 431, like every other error', async () => {
    running = await start({ PORT: '0', HOST: '127.0.0.1', WEBHOOK_SECRET: TEST_SECRET }, { logger: pino({ level: 'silent' }) });

    const res = await fetch(`${running.url}/webhook/receive`, { method: 'POST', headers: { 'x-big': 'a'.repeat(20_000) }, body: '{}' });

    expect(res.status).toBe(431);
    expect(await res.json()).toEqual({ error: { code: 'headers.too_large', message: expect.any(String) } });
  });
});
