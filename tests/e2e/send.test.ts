import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeliveryRecord } from '../../src/sender/delivery-store';
import { start, type RunningServer } from '../../src/server';
import { signNative } from '../../src/signature/native';

/**
 * The sending half on real sockets: the server from `start()` on 127.0.0.1 port 0 sends to small
 * node:http receivers. Delays are tens of ms (SEND_BASE_DELAY_MS=10, SEND_MAX_DELAY_MS=50).
 */

const SECRET = 'e2e-secret';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

interface Receiver {
  readonly url: string;
  readonly received: Received[];
  close(): Promise<void>;
}

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A local receiver that records each request and answers it with `answer` (the request's index given). */
async function receiver(answer: (res: ServerResponse, index: number, req: IncomingMessage) => void): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      answer(res, received.length - 1, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  closers.push(close);
  return { url: `http://127.0.0.1:${port}/hooks`, received, close };
}

async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const running = await start({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    WEBHOOK_SECRET: SECRET,
    SEND_BASE_DELAY_MS: '10',
    SEND_MAX_DELAY_MS: '50',
    SEND_TIMEOUT_MS: '2000',
    ...env,
  });
  closers.push(() => running.close());
  return running;
}

async function sendAndWait(server: RunningServer, body: Record<string, unknown>): Promise<{ status: number; delivery: DeliveryRecord }> {
  const res = await fetch(`${server.url}/webhook/send?wait=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { delivery: DeliveryRecord };
  return { status: res.status, delivery: json.delivery };
}

const payload = { userId: '123', email: 'user@example.com' };

describe('sending over real sockets', () => {
  it('retries 500, 500 and is delivered on the third attempt, with the same event id and fresh signatures', async () => {
    const target = await receiver((res, i) => {
      res.statusCode = i < 2 ? 500 : 200;
      res.end(i < 2 ? 'not yet' : 'ok');
    });
    const server = await startServer();

    const { status, delivery } = await sendAndWait(server, { url: target.url, eventType: 'user.created', payload });

    expect(status).toBe(200);
    expect(delivery.status).toBe('delivered');
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect(delivery.attempts.map((a) => a.responseBody)).toEqual(['not yet', 'not yet', 'ok']);
    expect(target.received).toHaveLength(3);
    expect(target.received.map((r) => r.headers['x-webhook-id'])).toEqual([delivery.eventId, delivery.eventId, delivery.eventId]);
    expect(target.received.map((r) => r.body.toString())).toEqual(Array(3).fill(JSON.stringify(payload)));
    // Each signature is right for its own timestamp (which may repeat within a second) ...
    for (const r of target.received) {
      expect(r.headers['x-webhook-signature']).toBe(signNative(SECRET, String(r.headers['x-webhook-timestamp']), r.body));
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['user-agent']).toMatch(/^webhook-server\//);
    }
  });

  it('signs each attempt afresh: a new second gives a new signature', async () => {
    // Retry-After: 1 (whole seconds) makes the next attempt start in another second, so its signature differs.
    const target = await receiver((res, i) => {
      if (i === 0) res.setHeader('retry-after', '1');
      res.statusCode = i === 0 ? 503 : 200;
      res.end();
    });
    const server = await startServer({ SEND_MAX_DELAY_MS: '1000' });
    const { delivery } = await sendAndWait(server, { url: target.url, eventType: 'user.created', payload });
    expect(delivery.status).toBe('delivered');
    const [first, second] = target.received;
    expect(first!.headers['x-webhook-timestamp']).not.toBe(second!.headers['x-webhook-timestamp']);
    expect(first!.headers['x-webhook-signature']).not.toBe(second!.headers['x-webhook-signature']);
    expect(first!.headers['x-webhook-id']).toBe(second!.headers['x-webhook-id']);
  });

  it('makes exactly one attempt at a receiver that answers 400, and fails', async () => {
    const target = await receiver((res) => {
      res.statusCode = 400;
      res.end('{"error":"bad"}');
    });
    const server = await startServer();
    const { status, delivery } = await sendAndWait(server, { url: target.url, eventType: 'user.created', payload });
    expect(status).toBe(502);
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]).toMatchObject({ statusCode: 400, responseBody: '{"error":"bad"}' });
    expect(target.received).toHaveLength(1);
  });

  it('cuts off a receiver that never answers at the timeout', async () => {
    const target = await receiver(() => {
      // never answers
    });
    const server = await startServer({ SEND_TIMEOUT_MS: '200' });
    const { status, delivery } = await sendAndWait(server, { url: target.url, eventType: 'user.created', payload, maxAttempts: 2 });
    expect(status).toBe(502);
    expect(delivery.attempts.map((a) => a.error)).toEqual(['timed out', 'timed out']);
    expect(delivery.attempts.every((a) => a.statusCode === undefined)).toBe(true);
    expect(delivery.attempts[0]!.durationMs).toBeGreaterThanOrEqual(150);
    expect(delivery.error).toBe('gave up after 2 attempts (last error: timed out)');
  });

  it('records a refused connection as a network error', async () => {
    const gone = await receiver((res) => res.end());
    await gone.close();
    const server = await startServer();
    const { delivery } = await sendAndWait(server, { url: gone.url, eventType: 'user.created', payload, maxAttempts: 2 });
    expect(delivery.status).toBe('failed');
    expect(delivery.attempts.map((a) => a.error)).toEqual(['fetch failed: ECONNREFUSED', 'fetch failed: ECONNREFUSED']);
  });

  it('does not follow a 302: the Location target receives nothing', async () => {
    const elsewhere = await receiver((res) => res.end('ok'));
    const target = await receiver((res) => {
      res.writeHead(302, { location: elsewhere.url });
      res.end();
    });
    const server = await startServer();
    const { status, delivery } = await sendAndWait(server, { url: target.url, eventType: 'user.created', payload });
    expect(status).toBe(502);
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]!.statusCode).toBe(302);
    expect(delivery.error).toBe('redirect 302 not followed (last status 302)');
    expect(target.received).toHaveLength(1);
    expect(elsewhere.received).toHaveLength(0);
  });
});

describe('the seed example, end to end', () => {
  it('sends user.created to its own /webhook/receive, which verifies and records it', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let server: RunningServer;
    let printed: string;
    try {
      server = await startServer({ WEBHOOK_SECRET: '' });
    } finally {
      printed = stderr.mock.calls.map((c) => String(c[0])).join('');
      stderr.mockRestore();
    }
    // No secret configured: one was generated for the run and printed once.
    expect(printed).toContain('WEBHOOK_SECRET is not set');
    expect(printed).toContain(server.deps.config.secrets[0]!);

    const { status, delivery } = await sendAndWait(server, {
      url: `${server.url}/webhook/receive`,
      eventType: 'user.created',
      payload: { userId: '123', email: 'user@example.com' },
    });
    expect(status).toBe(200);
    expect(delivery.status).toBe('delivered');
    expect(delivery.attempts).toHaveLength(1);
    expect(JSON.parse(delivery.attempts[0]!.responseBody!)).toEqual({ received: true, id: delivery.eventId, duplicate: false });

    const history = (await (await fetch(`${server.url}/webhook/history`)).json()) as {
      items: { id: string; eventType: string; scheme: string; status: string; verification: { ok: boolean }; payload: unknown }[];
    };
    expect(history.items).toHaveLength(1);
    expect(history.items[0]).toMatchObject({
      id: delivery.eventId,
      eventType: 'user.created',
      scheme: 'native',
      status: 'accepted',
      verification: { ok: true },
      payload: { userId: '123', email: 'user@example.com' },
    });
  });
});
