import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { StorageOpenError } from '../../../src/storage/errors';
import { createHash } from 'node:crypto';
import { migrate, MIGRATIONS, schemaVersion, SCHEMA_VERSION } from '../../../src/storage/sqlite/migrations';
import { openSqliteDatabase } from '../../../src/storage/sqlite/database';
import { createStorage } from '../../../src/storage/create-storage';
import type { SqliteStorage } from '../../../src/storage/sqlite/storage';
import { deliveryRecord } from '../../contract/delivery-store';
import { historyEntry } from '../../contract/history-store';
import { testConfig } from '../../helpers/deps';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webhooks-sqlite-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function openAt(path: string, env: Record<string, string> = {}): SqliteStorage {
  return createStorage(testConfig({ STORE: 'sqlite', SQLITE_PATH: path, ...env })) as SqliteStorage;
}

/** Every byte SQLite wrote for this database: the file and its WAL. */
function bytesOnDisk(): Buffer {
  return Buffer.concat(readdirSync(dir).map((name) => readFileSync(join(dir, name))));
}

describe('SQLite storage', () => {
  it('creates the folder of SQLITE_PATH when it is missing', async () => {
    const storage = openAt(join(dir, 'nested', 'deeper', 'webhooks.db'));
    storage.close();
    expect(readdirSync(join(dir, 'nested', 'deeper'))).toContain('webhooks.db');
  });

  it('runs in WAL mode with synchronous FULL', async () => {
    const db = openSqliteDatabase(join(dir, 'webhooks.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    db.close();
  });

  it('keeps the savepoint journals of a batch in memory, not in temp files', async () => {
    const db = openSqliteDatabase(join(dir, 'webhooks.db'));
    expect(db.pragma('temp_store', { simple: true })).toBe(2); // MEMORY
    db.close();
  });

  it('checkpoints the WAL every 10,000 pages rather than every 1,000', async () => {
    const db = openSqliteDatabase(join(dir, 'webhooks.db'));
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    db.close();
  });

  it('keeps history, dedupe keys and deliveries across a close and a reopen of the same file', async () => {
    const path = join(dir, 'webhooks.db');
    const first = openAt(path);
    await first.history.add(historyEntry('evt_kept'), Buffer.from('raw'));
    await first.history.recordDuplicate('evt_kept');
    await first.dedupe.remember(['id:evt_kept', 'sig:native:abc'], 'evt_kept', T0);
    await first.deliveries.create(deliveryRecord('dlv_kept'), { body: Buffer.from('{"x":1}'), signAll: false });
    first.close();

    const second = openAt(path);
    expect((await second.history.get('evt_kept'))!.duplicates).toBe(1);
    expect((await second.history.pendingProcessing()).map((e) => e.id)).toEqual(['evt_kept']);
    expect(await second.history.counts()).toEqual({ accepted: 1, rejected: 0 });
    expect(await second.dedupe.lookup(['sig:native:abc'], T0 + 1000)).toBe('evt_kept');
    expect((await second.deliveries.list({ limit: 10, status: 'pending' })).items.map((r) => r.id)).toEqual(['dlv_kept']);
    expect((await second.deliveries.content('dlv_kept'))!.body.toString()).toBe('{"x":1}');
    second.close();
  });

  it('applies a lowered HISTORY_LIMIT to what the file already holds', async () => {
    const path = join(dir, 'webhooks.db');
    const first = openAt(path);
    for (const id of ['a', 'b', 'c']) await first.history.add(historyEntry(id));
    first.close();
    const second = openAt(path, { HISTORY_LIMIT: '2' });
    expect((await second.history.list({ limit: 10 })).items.map((e) => e.id)).toEqual(['c', 'b']);
    expect((await second.history.counts()).accepted).toBe(2);
    second.close();
  });

  it('never writes a signature value to disk, only its hash', async () => {
    const path = join(dir, 'webhooks.db');
    const storage = openAt(path);
    const signature = 'native:5f0e3c1a9b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d1f';
    await storage.dedupe.remember([`sig:${signature}`], 'evt_1', T0);
    expect(bytesOnDisk().includes(signature.slice('native:'.length))).toBe(false);
    expect(await storage.dedupe.lookup([`sig:${signature}`], T0)).toBe('evt_1');
    storage.close();
  });

  it('releases at open the claims a killed process left, so those deliveries are due again at once', async () => {
    const path = join(dir, 'webhooks.db');
    const first = openAt(path);
    const lease = { token: 'dead-process:1', leaseUntilMs: T0 + 3_600_000 };
    await first.deliveries.create(deliveryRecord('dlv_claimed'), { body: Buffer.from('{}'), signAll: false }, lease);
    expect(await first.deliveries.claimDue({ nowMs: T0, limit: 10, token: 'same-process:2', leaseMarginMs: 0 })).toEqual([]);
    first.close();

    const second = openAt(path);
    const claimed = await second.deliveries.claimDue({ nowMs: T0, limit: 10, token: 'next-process:1', leaseMarginMs: 0 });
    expect(claimed.map((c) => c.record.id)).toEqual(['dlv_claimed']);
    expect(await second.deliveries.complete({ ...claimed[0]!.record, status: 'delivered', nextAttemptAt: null }, lease.token)).toBe(false);
    second.close();
  });

  it('never writes a per-request secret in clear, and opens it again after a restart', async () => {
    const path = join(dir, 'webhooks.db');
    const secret = 'per-request-secret-that-must-not-leak';
    const first = openAt(path);
    await first.deliveries.create(deliveryRecord('dlv_1'), { body: Buffer.from('{}'), secret, signAll: false });
    first.close();
    expect(bytesOnDisk().includes(secret)).toBe(false);
    const second = openAt(path);
    expect((await second.deliveries.content('dlv_1'))!.secret).toBe(secret);
    second.close();
  });

  it('opens a per-request secret after WEBHOOK_SECRET rotated, while the old secret is still listed', async () => {
    const path = join(dir, 'webhooks.db');
    const first = openAt(path, { WEBHOOK_SECRET: 'old' });
    await first.deliveries.create(deliveryRecord('dlv_1'), { body: Buffer.from('{}'), secret: 'custom', signAll: false });
    first.close();
    const rotated = openAt(path, { WEBHOOK_SECRET: 'new,old' });
    expect((await rotated.deliveries.content('dlv_1'))!.secret).toBe('custom');
    rotated.close();
  });

  it('says a per-request secret is unavailable once its WEBHOOK_SECRET is gone', async () => {
    const path = join(dir, 'webhooks.db');
    const first = openAt(path, { WEBHOOK_SECRET: 'old' });
    await first.deliveries.create(deliveryRecord('dlv_1'), { body: Buffer.from('{}'), secret: 'custom', signAll: false });
    first.close();
    const replaced = openAt(path, { WEBHOOK_SECRET: 'new' });
    const content = (await replaced.deliveries.content('dlv_1'))!;
    expect(content.secretUnavailable).toBe(true);
    expect(content.secret).toBeUndefined();
    replaced.close();
  });

  it('rolls back a transaction as a whole: no entry without its dedupe keys', async () => {
    const storage = openAt(join(dir, 'webhooks.db'));
    expect(() =>
      storage.transaction(() => {
        storage.history.insert(historyEntry('evt_1'));
        throw new Error('disk full, say');
      }),
    ).toThrow('disk full, say');
    expect(await storage.history.get('evt_1')).toBeUndefined();
    expect(await storage.history.counts()).toEqual({ accepted: 0, rejected: 0 });
    storage.close();
  });

  it('sweeps expired dedupe keys and history past its retention', async () => {
    const storage = openAt(join(dir, 'webhooks.db'), { HISTORY_RETENTION_DAYS: '1', SIGNATURE_TOLERANCE_SECONDS: '30', DEDUPE_TTL_SECONDS: '60' });
    await storage.history.add(historyEntry('old', { receivedAt: new Date(T0 - 2 * 86_400_000).toISOString() }));
    await storage.dedupe.remember(['id:old'], 'old', T0 - 120_000);
    expect(storage.sweep(T0)).toEqual({ dedupe: 1, history: 1 });
    storage.close();
  });
});

describe('SQLite migrations', () => {
  it('bring a new database to the current schema version, and do nothing when run again', async () => {
    const db = new BetterSqlite3(join(dir, 'webhooks.db'));
    expect(migrate(db)).toEqual(MIGRATIONS.map((step) => step.version));
    expect(migrate(db)).toEqual([]);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT COUNT(*) FROM schema_version').pluck().get()).toBe(MIGRATIONS.length);
    db.close();
  });

  it('apply only the steps a database has not seen yet', async () => {
    const db = new BetterSqlite3(':memory:');
    const steps = [
      { version: 1, description: 'one', sql: 'CREATE TABLE one (x)' },
      { version: 2, description: 'two', sql: 'CREATE TABLE two (x)' },
    ];
    expect(migrate(db, steps.slice(0, 1))).toEqual([1]);
    expect(migrate(db, steps)).toEqual([2]);
    expect(schemaVersion(db)).toBe(2);
    db.close();
  });

  it('leave the version unchanged when a step fails', async () => {
    const db = new BetterSqlite3(':memory:');
    expect(() => migrate(db, [{ version: 1, description: 'bad', sql: 'CREATE TABLE ok (x); NOT SQL' }])).toThrow(/syntax error/);
    expect(schemaVersion(db)).toBe(0);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ok'").pluck().get()).toBe(0);
    db.close();
  });

  it('upgrades a version 3 outbox: each pending delivery due at its nextAttemptAt, finished ones not due', async () => {
    const path = join(dir, 'webhooks.db');
    const old = new BetterSqlite3(path);
    migrate(old, MIGRATIONS.filter((step) => step.version <= 3));
    const insert = old.prepare('INSERT INTO deliveries (id, status, record, body, sign_all) VALUES (?, ?, ?, ?, 0)');
    const waiting = deliveryRecord('dlv_waiting', { nextAttemptAt: new Date(T0 + 5250).toISOString() });
    insert.run('dlv_waiting', 'pending', JSON.stringify(waiting), Buffer.from('{}'));
    insert.run('dlv_done', 'delivered', JSON.stringify(deliveryRecord('dlv_done', { status: 'delivered', nextAttemptAt: null })), Buffer.from('{}'));
    old.close();

    const upgraded = openAt(path);
    expect(await upgraded.deliveries.nextDueMs()).toBe(T0 + 5250);
    expect(await upgraded.deliveries.claimDue({ nowMs: T0 + 5249, limit: 10, token: 't', leaseMarginMs: 0 })).toEqual([]);
    const claimed = await upgraded.deliveries.claimDue({ nowMs: T0 + 5250, limit: 10, token: 't', leaseMarginMs: 0 });
    expect(claimed.map((c) => c.record)).toEqual([waiting]);
    upgraded.close();
  });

  it('upgrade a version 1 database without losing its history, pending raw bodies or dedupe keys', async () => {
    const path = join(dir, 'webhooks.db');
    const old = new BetterSqlite3(path);
    migrate(old, MIGRATIONS.filter((step) => step.version === 1));
    const insert = old.prepare(
      `INSERT INTO history (id, status, event_type, received_at_ms, entry, duplicates, processing, processing_state, raw_body)
       VALUES (@id, @status, @eventType, @receivedAtMs, @entry, @duplicates, @processing, @state, @rawBody)`,
    );
    const row = (id: string, overrides: Parameters<typeof historyEntry>[1], rawBody: Buffer | null): Record<string, unknown> => {
      const { duplicates, processing, ...rest } = historyEntry(id, overrides);
      return {
        id,
        status: rest.status,
        eventType: rest.eventType,
        receivedAtMs: Date.parse(rest.receivedAt),
        entry: JSON.stringify(rest),
        duplicates,
        processing: processing === null ? null : JSON.stringify(processing),
        state: processing?.state ?? null,
        rawBody,
      };
    };
    insert.run(row('evt_done', { processing: { state: 'done', durationMs: 3 }, duplicates: 2 }, null));
    insert.run(row('rej_1', { status: 'rejected', eventType: 'user.created' }, null));
    insert.run(row('evt_pending', { eventType: 'order.paid' }, Buffer.from('{"raw":true}')));
    const signature = 'v1,c2lnbmF0dXJlLXZhbHVl';
    const remember = old.prepare('INSERT INTO dedupe (key, event_id, expires_at_ms) VALUES (?, ?, ?)');
    remember.run('id:evt_pending', 'evt_pending', T0 + 60_000);
    remember.run(`sig:${createHash('sha256').update(signature).digest('hex')}`, 'evt_pending', T0 + 60_000);
    old.close();

    const upgraded = openAt(path, { SIGNATURE_TOLERANCE_SECONDS: '30', DEDUPE_TTL_SECONDS: '60' });
    expect(await upgraded.history.get('evt_done')).toEqual(historyEntry('evt_done', { processing: { state: 'done', durationMs: 3 }, duplicates: 2 }));
    expect(await upgraded.history.counts()).toEqual({ accepted: 2, rejected: 1 });
    expect((await upgraded.history.list({ limit: 10, eventType: 'user.created' })).items.map((e) => e.id)).toEqual(['rej_1', 'evt_done']);
    const pending = await upgraded.history.pendingProcessing();
    expect(pending.map((e) => [e.id, e.rawBody.toString()])).toEqual([['evt_pending', '{"raw":true}']]);
    expect(await upgraded.dedupe.lookup(['id:evt_pending'], T0)).toBe('evt_pending');
    expect(await upgraded.dedupe.lookup([`sig:${signature}`], T0)).toBe('evt_pending');
    expect(await upgraded.dedupe.size()).toBe(2);

    await upgraded.history.setProcessing('evt_pending', { state: 'done', durationMs: 1 });
    expect((await upgraded.history.get('evt_pending'))!.processing).toEqual({ state: 'done', durationMs: 1 });
    expect(await upgraded.history.pendingProcessing()).toEqual([]);
    upgraded.close();
  });

  it('refuse a database whose schema is newer than the server', async () => {
    const path = join(dir, 'webhooks.db');
    const db = new BetterSqlite3(path);
    migrate(db);
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(SCHEMA_VERSION + 1, 'later');
    db.close();
    expect(() => openSqliteDatabase(path)).toThrow(/newer than this server knows/);
  });
});

describe('Opening a database that cannot be used', () => {
  it('stops with a StorageOpenError naming the path of a corrupt file', async () => {
    const path = join(dir, 'corrupt.db');
    writeFileSync(path, Buffer.alloc(8192, 'this is not a database '));
    expect(() => openSqliteDatabase(path)).toThrow(StorageOpenError);
    expect(() => openSqliteDatabase(path)).toThrow(new RegExp(`${path}.*not a valid SQLite database`));
  });

  it('stops with a StorageOpenError naming the path when the path is a folder', async () => {
    expect(() => openSqliteDatabase(dir)).toThrow(StorageOpenError);
    expect(() => openSqliteDatabase(dir)).toThrow(dir);
  });

  it('stops with a StorageOpenError when the folder cannot be created', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const path = join(file, 'webhooks.db');
    expect(() => openSqliteDatabase(path)).toThrow(StorageOpenError);
    expect(() => openSqliteDatabase(path)).toThrow(path);
  });
});
