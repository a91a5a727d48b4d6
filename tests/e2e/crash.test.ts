import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signNative } from '../../src/signature/native';
import { exited, freePort, killSpawned, spawnServer, spawnServerProcess, type SpawnedServer } from '../helpers/spawn-server';

// Real processes killed with SIGKILL: what STORE=sqlite promises survives a crash, not only a clean stop.
const SECRET = 'crash-test-secret';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let dir: string;
let servers: SpawnedServer[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webhooks-crash-'));
  servers = [];
});
afterEach(async () => {
  for (const server of servers) await server.kill9().catch(() => undefined);
  await killSpawned(); // and any server still starting when a test timed out
  rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { STORE: 'sqlite', SQLITE_PATH: join(dir, 'webhooks.db'), WEBHOOK_SECRET: SECRET, ...extra };
}

async function startServer(port: number, extra: Record<string, string> = {}): Promise<SpawnedServer> {
  const server = await spawnServer(port, env(extra));
  servers.push(server);
  return server;
}

function signedPost(url: string, id: string): Promise<Response> {
  const body = JSON.stringify({ id, at: Date.now() });
  const timestamp = Math.floor(Date.now() / 1000);
  return fetch(`${url}/webhook/receive`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-webhook-id': id,
      'x-webhook-event': 'crash.test',
      'x-webhook-timestamp': String(timestamp),
      'x-webhook-signature': signNative(SECRET, timestamp, body),
    },
    body,
    signal: AbortSignal.timeout(5000),
  });
}

describe('STORE=sqlite across a kill -9', () => {
  it('has every webhook that got a 200 in the history after a restart, none twice', async () => {
    const port = await freePort();
    const server = await startServer(port);
    const total = 400;
    const acked: string[] = [];
    let next = 0;
    let killed = false;
    const worker = async (): Promise<void> => {
      while (next < total) {
        const id = `evt_crash_${String(next++).padStart(4, '0')}`;
        try {
          const res = await signedPost(server.url, id);
          if (res.status === 200 && ((await res.json()) as { id: string }).id === id) acked.push(id);
        } catch {
          // the server is gone: this one was not acknowledged
        }
        if (!killed && acked.length >= 60) {
          killed = true;
          await server.kill9();
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(killed).toBe(true);
    expect(acked.length).toBeLessThan(total); // killed mid-burst

    const restarted = await startServer(port);
    const page = (await (await fetch(`${restarted.url}/webhook/history?limit=500&status=accepted`)).json()) as { items: { id: string }[] };
    const stored = page.items.map((e) => e.id);
    expect(new Set(stored).size).toBe(stored.length);
    expect(acked.filter((id) => !stored.includes(id))).toEqual([]);
  }, 120_000);

  it('completes a delivery interrupted between attempts, with every attempt recorded', async () => {
    const seen: (string | undefined)[] = [];
    const receiver: Server = createServer((req, res) => {
      seen.push(req.headers['x-webhook-id'] as string | undefined);
      req.resume();
      res.statusCode = seen.length <= 2 ? 500 : 200;
      res.end(seen.length <= 2 ? 'not yet' : 'ok');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const port = await freePort();
      // The kill must land between attempts 1 and 2: a retry delay of 10 s (8 s at the least, after jitter)
      // leaves room for polling a server on a loaded machine, where 300 ms did not (issue 17) and 3 s did not
      // always either (a second attempt already on the wire when the kill landed). The restarted server keeps
      // the stored due time of attempt 2 and waits 0.5 s before attempt 3.
      const settings = { SEND_BASE_DELAY_MS: '500', SEND_MAX_DELAY_MS: '500', SEND_TIMEOUT_MS: '2000' };
      const server = await startServer(port, { ...settings, SEND_BASE_DELAY_MS: '10000', SEND_MAX_DELAY_MS: '10000' });
      const sent = await fetch(`${server.url}/webhook/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiverUrl, eventType: 'crash.delivery', payload: { n: 1 } }),
      });
      expect(sent.status).toBe(202);
      const { delivery } = (await sent.json()) as { delivery: { id: string } };

      // Wait for the first failed attempt to be recorded, then kill the server while it waits to retry.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const record = (await (await fetch(`${server.url}/webhook/deliveries/${delivery.id}`)).json()) as { attempts: unknown[] };
        if (record.attempts.length >= 1) break;
        if (Date.now() > deadline) throw new Error('the first attempt was never recorded');
        await sleep(20);
      }
      await server.kill9();
      expect(seen).toHaveLength(1);

      const restarted = await startServer(port, settings);
      type Record = { status: string; eventId: string; attempts: { number: number; statusCode?: number }[] };
      let record: Record;
      const until = Date.now() + 30_000;
      for (;;) {
        record = (await (await fetch(`${restarted.url}/webhook/deliveries/${delivery.id}`)).json()) as Record;
        if (record.status !== 'pending') break;
        if (Date.now() > until) throw new Error(`the delivery never completed: ${JSON.stringify(record)}`);
        await sleep(50);
      }
      expect(record.status).toBe('delivered');
      expect(record.attempts.map((a) => [a.number, a.statusCode])).toEqual([
        [1, 500],
        [2, 500],
        [3, 200],
      ]);
      expect(seen).toEqual([record.eventId, record.eventId, record.eventId]);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  }, 120_000);

  it('refuses to start on a corrupt database file: exit 1, naming the path', async () => {
    const path = join(dir, 'corrupt.db');
    writeFileSync(path, Buffer.alloc(8192, 'not a database '));
    const { child, stderr } = spawnServerProcess({ ...env({ SQLITE_PATH: path }), PORT: String(await freePort()) });
    expect(await exited(child, 60_000)).toBe(1);
    expect(stderr()).toContain(path);
    expect(stderr()).toMatch(/not a valid SQLite database/);
  }, 90_000);
});
