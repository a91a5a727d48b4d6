import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { signNative } from '../../src/signature/native';
import { freePort } from '../helpers/net';

const ROOT = join(__dirname, '..', '..');
// Each test starts ts-node in a child process: about 6 s alone, several times that on a loaded 2-core machine.
// A backstop, not an expected duration.
jest.setTimeout(60_000);
const SECRET = 'shutdown-secret';

interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  /** Resolves with the first stdout line containing `text`. */
  waitForLine(text: string): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Runs `src/server.ts` as `npm run dev` would, on `port`; killed by the test's cleanup if still alive. */
function spawnServer(port: number, env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1', WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'info', ...env },
  });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: (line: string) => void }[] = [];
  const check = (): void => {
    for (const waiter of [...waiters]) {
      const line = stdout.split('\n').find((l) => l.includes(waiter.text));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    check();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    process: child,
    exited,
    stderr: () => stderr,
    waitForLine: (text) =>
      Promise.race([
        new Promise<string>((resolve) => {
          waiters.push({ text, resolve });
          check();
        }),
        exited.then(({ code }) => {
          throw new Error(`server exited (code ${code}) before logging "${text}"; stderr: ${stderr}`);
        }),
      ]),
  };
}

// Each test starts a server with ts-node: seconds when idle, past Jest's 15 s default on a loaded 2-core machine
// (issue 17). The bound catches a hang; it is not the expected duration.
jest.setTimeout(90_000);

describe('graceful shutdown', () => {
  const children: Child[] = [];

  afterEach(async () => {
    // Killed and waited for: a child still running when the file ends keeps the Jest worker from exiting.
    await Promise.all(
      children.splice(0).map(async (child) => {
        if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
        await child.exited;
      }),
    );
  });

  it('exits 0 on SIGTERM right after start-up', async () => {
    const child = spawnServer(await freePort());
    children.push(child);
    await child.waitForLine('"msg":"listening"');

    child.process.kill('SIGTERM');

    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('finishes a request in flight when SIGTERM arrives, then exits 0', async () => {
    const port = await freePort();
    const child = spawnServer(port);
    children.push(child);
    await child.waitForLine('"msg":"listening"');
    const body = JSON.stringify({ userId: '123' });
    const timestamp = Math.floor(Date.now() / 1000);

    // Expect: 100-continue: the server answers "100 Continue" once it has parsed the headers, so the request is
    // provably in flight (not merely queued in the kernel) before the signal is sent.
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/webhook/receive',
      headers: {
        expect: '100-continue',
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-webhook-timestamp': String(timestamp),
        'x-webhook-event': 'user.created',
        'x-webhook-id': 'evt_inflight',
        'x-webhook-signature': signNative(SECRET, timestamp, body),
      },
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    const continued = new Promise<void>((resolve) => req.once('continue', resolve));
    req.flushHeaders();
    await continued;

    child.process.kill('SIGTERM');
    await child.waitForLine('"msg":"shutting down"');
    req.end(body);

    const res = await response;
    const text = await new Promise<string>((resolve) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (data += chunk));
      res.on('end', () => resolve(data));
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.connection).toBe('close'); // else the keep-alive connection holds the exit for keepAliveTimeout
    expect(JSON.parse(text)).toEqual({ received: true, id: 'evt_inflight', duplicate: false });
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('exits 1 with a message naming the variable when the configuration is invalid', async () => {
    const child = spawnServer(await freePort(), { PROCESSING_CONCURRENCY: 'lots' });
    children.push(child);

    expect(await child.exited).toEqual({ code: 1, signal: null });
    expect(child.stderr()).toMatch(/PROCESSING_CONCURRENCY/);
  });
});
