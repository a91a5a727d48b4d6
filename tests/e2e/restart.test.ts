import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { HandlerRegistry, type WebhookEvent } from '../../src/processing/registry';
import { start } from '../../src/server';
import { StorageOpenError } from '../../src/storage/errors';
import { createStorage } from '../../src/storage/create-storage';
import { historyEntry } from '../contract/history-store';
import { TEST_SECRET, testConfig } from '../helpers/deps';
import { nativeHeaders } from '../helpers/sign';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webhooks-restart-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const logger = pino({ level: 'silent' });

describe('a server on STORE=sqlite, restarted', () => {
  it('keeps the history of the previous run', async () => {
    const env = { STORE: 'sqlite', SQLITE_PATH: join(dir, 'webhooks.db'), PORT: '0', HOST: '127.0.0.1', WEBHOOK_SECRET: TEST_SECRET, LOG_LEVEL: 'silent' };
    const first = await start(env, { logger });
    const body = '{"n":1}';
    const res = await fetch(`${first.url}/webhook/receive`, { method: 'POST', headers: nativeHeaders(body, { nowMs: Date.now(), id: 'evt_restart' }), body });
    expect(res.status).toBe(200);
    await first.close();

    const second = await start(env, { logger });
    try {
      const entry = (await (await fetch(`${second.url}/webhook/history/evt_restart`)).json()) as { payload: unknown };
      expect(entry.payload).toEqual({ n: 1 });
      const again = await fetch(`${second.url}/webhook/receive`, { method: 'POST', headers: nativeHeaders(body, { nowMs: Date.now(), id: 'evt_restart' }), body });
      expect(await again.json()).toEqual({ received: true, id: 'evt_restart', duplicate: true });
    } finally {
      await second.close();
    }
  }, 20_000);

  it('hands events left pending by the previous run to the handlers', async () => {
    const path = join(dir, 'webhooks.db');
    const before = createStorage(testConfig({ STORE: 'sqlite', SQLITE_PATH: path }));
    await before.history.add(historyEntry('evt_left'), Buffer.from('{"left":true}'));
    before.close();

    const handled: WebhookEvent[] = [];
    const registry = new HandlerRegistry().onAny((event) => {
      handled.push(event);
    });
    const running = await start({ STORE: 'sqlite', SQLITE_PATH: path, PORT: '0', HOST: '127.0.0.1', WEBHOOK_SECRET: TEST_SECRET }, { logger, overrides: { registry } });
    try {
      await running.deps.processor.onIdle();
      for (let i = 0; i < 50 && handled.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      await running.deps.processor.onIdle();
      expect(handled.map((e) => [e.id, e.rawBody.toString()])).toEqual([['evt_left', '{"left":true}']]);
      expect((await running.deps.history.get('evt_left'))!.processing!.state).toBe('done');
      expect(await running.deps.history.pendingProcessing()).toEqual([]);
    } finally {
      await running.close();
    }
  }, 20_000);

  it('refuses to start on a database it cannot open, naming the path', async () => {
    await expect(start({ STORE: 'sqlite', SQLITE_PATH: dir, PORT: '0', WEBHOOK_SECRET: TEST_SECRET }, { logger })).rejects.toThrow(StorageOpenError);
    await expect(start({ STORE: 'sqlite', SQLITE_PATH: dir, PORT: '0', WEBHOOK_SECRET: TEST_SECRET }, { logger })).rejects.toThrow(dir);
  });
});
