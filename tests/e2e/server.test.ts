import { createHmac } from 'node:crypto';
import { Agent, request, type IncomingMessage } from 'node:http';
import { start, type RunningServer } from '../../src/server';
import { memoryLogger } from '../helpers/deps';

const SECRET = 'e2e-secret';

describe('the server on a real port', () => {
  let running: RunningServer | undefined;

  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('receives a signed webhook over HTTP, shows it in the history, and closes', async () => {
    const { logger, lines } = memoryLogger('info');
    running = await start({ WEBHOOK_SECRET: SECRET, PORT: '0', HOST: '127.0.0.1' }, { logger });
    const body = JSON.stringify({ userId: '123', email: 'user@example.com' });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex');

    const received = await fetch(`${running.url}/webhook/receive`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-webhook-timestamp': String(timestamp),
        'x-webhook-event': 'user.created',
        'x-webhook-id': 'evt_e2e',
        'x-webhook-signature': `sha256=${signature}`,
      },
      body,
    });
    expect(received.status).toBe(200);
    expect(await received.json()).toEqual({ received: true, id: 'evt_e2e', duplicate: false });
    await running.deps.processor.onIdle();

    const history = await fetch(`${running.url}/webhook/history`);
    expect(history.status).toBe(200);
    const page = (await history.json()) as { items: { id: string; status: string; payload: unknown; processing: { state: string } }[] };
    expect(page.items).toEqual([
      expect.objectContaining({ id: 'evt_e2e', status: 'accepted', payload: JSON.parse(body), processing: expect.objectContaining({ state: 'done' }) }),
    ]);

    await running.close();
    await expect(fetch(`${running.url}/webhook/history`)).rejects.toThrow();
    expect(lines().some((line) => line.includes('"msg":"listening"'))).toBe(true);
    expect(lines().join('\n')).not.toContain(SECRET);
    expect(lines().join('\n')).not.toContain(signature);
  });

  it('lets a request in flight finish on close(), then closes its keep-alive connection', async () => {
    running = await start({ WEBHOOK_SECRET: SECRET, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    const agent = new Agent({ keepAlive: true });
    const body = '{"n":1}';
    const timestamp = Math.floor(Date.now() / 1000);
    const req = request(`${running.url}/webhook/receive`, {
      agent,
      method: 'POST',
      headers: {
        expect: '100-continue', // the server's "100 Continue" proves it is handling the request
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-webhook-timestamp': String(timestamp),
        'x-webhook-signature': `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`,
      },
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
    const continued = new Promise<void>((resolve) => req.once('continue', resolve));
    req.flushHeaders();
    await continued;

    let closed = false;
    const closing = running.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false); // waits for the request in flight
    req.end(body);
    const res = await response;
    res.resume();

    expect(res.statusCode).toBe(200);
    expect(res.headers.connection).toBe('close');
    await closing;
    agent.destroy();
  });

  it('refuses to start with an invalid variable, naming it', async () => {
    await expect(start({ WEBHOOK_SECRET: SECRET, PORT: 'eighty' })).rejects.toThrow(/PORT/);
  });
});
