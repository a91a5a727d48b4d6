import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { RESPONSE_PREVIEW_BYTES, undiciTransport } from '../../src/sender/transport';

// The production transport on real sockets: what it sends, what it keeps of the answer, how it fails.
let server: Server;
let url: string;
let agent: Agent;
let answer: (res: ServerResponse) => void;
const seen: { method?: string; path?: string; headers: IncomingHttpHeaders; body: string }[] = [];

beforeEach(async () => {
  seen.length = 0;
  agent = new Agent();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      seen.push({ method: req.method, path: req.url, headers: req.headers, body });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/in?x=1`;
});

afterEach(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const send = (timeoutMs = 5000) => undiciTransport(agent)(url, { headers: { 'content-type': 'application/json', 'x-webhook-id': 'evt_1' }, body: Buffer.from('{"a":1}'), timeoutMs });

describe('undiciTransport', () => {
  it('POSTs the exact bytes and headers to the path and query, and reads the status and Retry-After', async () => {
    answer = (res) => res.writeHead(503, { 'retry-after': '7', 'content-type': 'text/plain' }).end('busy');
    const response = await send();
    expect(response).toEqual({ status: 503, retryAfter: '7', preview: 'busy' });
    expect(seen).toEqual([{ method: 'POST', path: '/hooks/in?x=1', headers: expect.objectContaining({ 'x-webhook-id': 'evt_1', 'content-type': 'application/json' }), body: '{"a":1}' }]);
  });

  it('does not follow a redirect', async () => {
    answer = (res) => res.writeHead(302, { location: '/elsewhere' }).end();
    expect((await send()).status).toBe(302);
    expect(seen).toHaveLength(1);
  });

  it('keeps the first 1 KB of a long streamed answer', async () => {
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // no Content-Length: chunked
      for (let i = 0; i < 100; i += 1) res.write('y'.repeat(1000));
      res.end();
    };
    expect((await send()).preview).toBe('y'.repeat(RESPONSE_PREVIEW_BYTES));
  });

  it('rejects with a TimeoutError when no answer comes within the timeout', async () => {
    answer = () => undefined; // never answers
    await expect(send(100)).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('rejects a refused connection as fetch does: TypeError("fetch failed") with the socket error as cause', async () => {
    const closed = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server = createServer(); // for afterEach
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const attempt = undiciTransport(agent)(closed, { headers: {}, body: Buffer.from('{}'), timeoutMs: 5000 });
    await expect(attempt).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: expect.objectContaining({ code: 'ECONNREFUSED' }) });
  });
});
