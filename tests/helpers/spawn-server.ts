import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface SpawnedServer {
  readonly child: ChildProcess;
  readonly url: string;
  stderr(): string;
  /** `kill -9`: no shutdown, no flush; resolves once the process is gone. */
  kill9(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the exit code; bounded by `timeoutMs`. */
export function exited(child: ChildProcess, timeoutMs = 20_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server process did not exit in time')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Every process spawned here that has not exited yet. */
const live = new Set<ChildProcess>();

/**
 * Kills (SIGKILL) every server process still running; call it in `afterEach`. A test that times out while a
 * server is still starting never gets the handle to kill it, and a live child (its stderr pipe) would keep the
 * Jest worker from exiting.
 */
export async function killSpawned(): Promise<void> {
  await Promise.all(
    [...live].map((child) => {
      child.kill('SIGKILL');
      return exited(child).catch(() => undefined);
    }),
  );
}

/** Runs `src/server.ts` in its own process, as `npm run dev` does, without waiting for it. */
export function spawnServerProcess(env: Record<string, string>): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/** Spawns the server on `port` and waits until it answers, bounded by `timeoutMs`. */
export async function spawnServer(port: number, env: Record<string, string>, timeoutMs = 60_000): Promise<SpawnedServer> {
  const { child, stderr } = spawnServerProcess({ ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${stderr()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not answer within ${timeoutMs} ms: ${stderr()}`);
    }
    try {
      const res = await fetch(`${url}/webhook/history?limit=1`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return {
    child,
    url,
    stderr,
    async kill9() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

/** The attempts this instance made, from its own /metrics. */
export async function attemptsMade(server: SpawnedServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('webhook_delivery_attempts_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}
