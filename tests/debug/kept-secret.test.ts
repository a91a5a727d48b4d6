import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { start } from '../../src/server';
import { keepGeneratedSecret } from '../../src/storage/kept-secret';
import { MemoryStorage } from '../../src/storage/memory/storage';
import { openSqliteDatabase } from '../../src/storage/sqlite/database';
import { SqliteStorage } from '../../src/storage/sqlite/storage';
import type { Storage } from '../../src/storage/storage';
import { testConfig } from '../helpers/deps';
import { nativeHeaders } from '../helpers/sign';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webhooks-kept-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

// The contract every backend keeps (Postgres too): the first value stored under a name wins, durably.
describe.each([
  ['memory', (): Storage => new MemoryStorage(testConfig())],
  ['sqlite', (): Storage => new SqliteStorage(openSqliteDatabase(join(dir, 'settings.db')), testConfig({ STORE: 'sqlite' }))],
])('Storage.keepSetting (%s)', (_name, open) => {
  it('stores the first value and answers it to every later call', async () => {
    const storage = open();
    try {
      expect(await storage.keepSetting('a', 'first')).toBe('first');
      expect(await storage.keepSetting('a', 'second')).toBe('first');
      expect(await storage.keepSetting('b', 'other')).toBe('other');
    } finally {
      storage.close();
    }
  });
});

describe('a generated WEBHOOK_SECRET with STORE=sqlite', () => {
  it('is kept in the database file and reused after a restart (a configured one is never stored)', async () => {
    const path = join(dir, 'webhooks.db');
    const first = new SqliteStorage(openSqliteDatabase(path), testConfig({ STORE: 'sqlite' }));
    const generated = { ...testConfig({ WEBHOOK_SECRET: '' }) };
    expect(generated.secretGenerated).toBe(true);
    const kept = await keepGeneratedSecret(generated, first);
    first.close();
    expect(kept.reused).toBe(false);

    const second = new SqliteStorage(openSqliteDatabase(path), testConfig({ STORE: 'sqlite' }));
    const again = await keepGeneratedSecret(testConfig({ WEBHOOK_SECRET: '' }), second);
    const configured = await keepGeneratedSecret(testConfig(), second);
    second.close();
    expect(again.reused).toBe(true);
    expect(again.config.secrets).toEqual(kept.config.secrets);
    expect(again.config.schemeSecrets.native).toEqual(kept.config.secrets);
    expect(configured.config.secrets).toEqual(['test-secret']);
  });

  it('start() signs and verifies with the same generated secret across two runs', async () => {
    const env = { STORE: 'sqlite', SQLITE_PATH: join(dir, 'webhooks.db'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
    const logger = pino({ level: 'silent' });
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write; // the printed secret warning
    try {
      const first = await start(env, { logger });
      const secret = first.deps.config.secrets[0]!;
      await first.close();
      const second = await start(env, { logger });
      try {
        expect(second.deps.config.secrets).toEqual([secret]);
        const body = '{"n":1}';
        const res = await fetch(`${second.url}/webhook/receive`, { method: 'POST', headers: nativeHeaders(body, { nowMs: Date.now(), secret }), body });
        expect(res.status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      process.stderr.write = write;
    }
  });
});
