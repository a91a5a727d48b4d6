import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { start, ListenError, type RunningServer } from '../../src/server';
import { memoryLogger } from '../helpers/deps';
import { exited, freePort, killSpawned, spawnServerProcess } from '../helpers/spawn-server';

/** What a newcomer reads when `npm start` goes wrong, and the lines it prints when it goes right (issue 17). */

const BANNER = 'WARNING: WEBHOOK_SECRET is not set';
// Spawned servers start with ts-node: seconds on a loaded machine. Generous bounds, never the expected duration.
const SPAWN_TEST_MS = 90_000;

function occupy(port: number): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function listeningLine(lines: string[]): Record<string, unknown> {
  const line = lines.find((l) => l.includes('"msg":"listening"'));
  if (line === undefined) throw new Error(`no listening line in: ${lines.join('\n')}`);
  return JSON.parse(line) as Record<string, unknown>;
}

describe('start-up messages', () => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await killSpawned();
  });

  it(
    'stops on a port in use with a hint to set PORT, and prints no generated secret',
    async () => {
      const port = await freePort();
      const blocker = await occupy(port);
      try {
        const { child, stderr } = spawnServerProcess({ PORT: String(port) });
        expect(await exited(child, 60_000)).toBe(1);
        expect(stderr()).toContain(`Port ${port} on 127.0.0.1 is already in use`);
        expect(stderr()).toContain(`set PORT to a free port: PORT=${port + 1} npm start`);
        expect(stderr()).not.toContain(BANNER);
        expect(stderr()).not.toContain('Failed to start');
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
    },
    SPAWN_TEST_MS,
  );

  it(
    'prints the generated secret once, when start-up has succeeded',
    async () => {
      const port = await freePort();
      const { child, stdout, stderr } = spawnServerProcess({ PORT: String(port), LOG_LEVEL: 'info' });
      try {
        const deadline = Date.now() + 60_000;
        // stdout and stderr are two pipes: wait for both, their order of arrival is not the order of writing.
        const ready = (): boolean => stderr().includes(BANNER) && stdout().includes('"msg":"listening"');
        while (!ready() && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(stdout()).toContain('"msg":"listening"');
        expect(stderr().split(BANNER)).toHaveLength(2); // exactly once
        const secret = /Generated a secret for this run only:\n\n {2}(\S+)/.exec(stderr())?.[1];
        expect(secret).toMatch(/^whsec_/);
        expect(stdout()).not.toContain(secret);
        expect(stderr()).toContain('to keep one across restarts');
      } finally {
        child.kill('SIGTERM');
        await exited(child, 30_000);
      }
    },
    SPAWN_TEST_MS,
  );

  it(
    'says a generated secret kept in the store lasts across restarts, without telling to set one for that',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'startup-kept-'));
      const port = await freePort();
      const { child, stdout, stderr } = spawnServerProcess({ PORT: String(port), LOG_LEVEL: 'info', STORE: 'sqlite', SQLITE_PATH: join(dir, 'kept.db') });
      try {
        const deadline = Date.now() + 60_000;
        const ready = (): boolean => stderr().includes(BANNER) && stdout().includes('"msg":"listening"');
        while (!ready() && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(stderr()).toMatch(/kept in the store \(STORE=sqlite\), the same after a restart:\n\n {2}whsec_/);
        expect(stderr()).toContain('to choose your own');
        expect(stderr()).not.toContain('to keep one across restarts');
      } finally {
        child.kill('SIGTERM');
        await exited(child, 30_000);
        rmSync(dir, { recursive: true, force: true });
      }
    },
    SPAWN_TEST_MS,
  );

  it(
    'prints readable log lines with LOG_FORMAT=pretty',
    async () => {
      const port = await freePort();
      const { child, stdout } = spawnServerProcess({ PORT: String(port), LOG_LEVEL: 'info', LOG_FORMAT: 'pretty', WEBHOOK_SECRET: 'pretty-secret' });
      try {
        const deadline = Date.now() + 60_000;
        while (!stdout().includes('INFO') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(stdout()).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO.*: listening/m);
        expect(stdout()).toContain(`url: "http://127.0.0.1:${port}/"`);
        expect(stdout()).not.toContain('"msg":"listening"');
      } finally {
        child.kill('SIGTERM');
        await exited(child, 30_000);
      }
    },
    SPAWN_TEST_MS,
  );

  (existsSync('/proc/self') ? it : it.skip)(
    'refuses an SQLITE_PATH under /proc at once, instead of spinning and ignoring SIGTERM',
    async () => {
      const { child, stderr } = spawnServerProcess({ PORT: '0', STORE: 'sqlite', SQLITE_PATH: '/proc/data/webhooks.db', WEBHOOK_SECRET: 'proc-secret' });
      // A server stuck in mkdir would never exit by itself; the bound turns that into a failure, not a hang.
      expect(await exited(child, 60_000)).toBe(1);
      expect(stderr()).toContain('Cannot use the SQLite database at /proc/data/webhooks.db (SQLITE_PATH)');
      expect(stderr()).toContain('kernel pseudo-filesystem');
    },
    SPAWN_TEST_MS,
  );

  it('logs "listening" with every interface and the URL to open when HOST is empty', async () => {
    const { logger, lines } = memoryLogger('info');
    running = await start({ WEBHOOK_SECRET: 's', PORT: '0', HOST: '' }, { logger });
    const line = listeningLine(lines());
    const { port } = running.server.address() as { port: number };

    expect(['::', '0.0.0.0']).toContain(line.address);
    expect(line).toMatchObject({ interfaces: 'all', port, url: `http://localhost:${port}/` });
  });

  it('logs the one address it listens on when HOST is set', async () => {
    const { logger, lines } = memoryLogger('info');
    running = await start({ WEBHOOK_SECRET: 's', PORT: '0', HOST: '127.0.0.1' }, { logger });
    const { port } = running.server.address() as { port: number };

    expect(listeningLine(lines())).toMatchObject({ address: '127.0.0.1', interfaces: 'one', port, url: `http://127.0.0.1:${port}/` });
  });

  it('says when HOST is not an address of this machine', async () => {
    const { logger } = memoryLogger('info');
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a real interface.
    const failed = start({ WEBHOOK_SECRET: 's', PORT: '0', HOST: '192.0.2.1' }, { logger });

    await expect(failed).rejects.toThrow(ListenError);
    await expect(failed).rejects.toThrow('HOST=192.0.2.1 is not an address of this machine');
  });

  it('says the port is in use in-process too, naming PORT', async () => {
    const port = await freePort();
    const blocker = await occupy(port);
    try {
      const failed = start({ WEBHOOK_SECRET: 's', PORT: String(port), HOST: '127.0.0.1' }, { logger: memoryLogger('silent').logger });
      await expect(failed).rejects.toThrow(ListenError);
      await expect(failed).rejects.toThrow(/already in use.*set PORT/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
