import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { GroupCommit } from '../../../src/storage/sqlite/group-commit';
import { openSqliteDatabase } from '../../../src/storage/sqlite/database';
import { createStorage } from '../../../src/storage/create-storage';
import type { AcceptOutcome } from '../../../src/history/store';
import type { SqliteStorage } from '../../../src/storage/sqlite/storage';
import { deliveryRecord } from '../../contract/delivery-store';
import { historyEntry } from '../../contract/history-store';
import { testConfig } from '../../helpers/deps';
import { openPoisonedDatabase, POISON_COMMIT, POISON_WRITE } from '../../helpers/poisoned-db';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
/** The id `accept` stores an event under when another scheme's entry holds its own (none in these tests). */
const freshId = (): string => 'evt_fresh';

let dir: string;
let path: string;
let storage: SqliteStorage;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webhooks-group-commit-'));
  path = join(dir, 'webhooks.db');
  storage = createStorage(testConfig({ STORE: 'sqlite' }), { database: openPoisonedDatabase(path) }) as SqliteStorage;
});
afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The receive path's unit: the entry and its dedupe key, accepted as one. */
function receive(id: string, eventType = 'user.created'): Promise<AcceptOutcome> {
  return storage.history.accept(historyEntry(id, { eventType }), Buffer.from('{}'), [`id:${id}`], T0, freshId);
}

/** Ids in the history as another connection sees them: only what is committed. */
function committedIds(): string[] {
  const reader = new BetterSqlite3(path, { readonly: true });
  try {
    return (reader.prepare('SELECT id FROM history ORDER BY seq').pluck().all() as string[]).sort();
  } finally {
    reader.close();
  }
}

const outcome = (promise: Promise<unknown> | unknown): Promise<string> =>
  Promise.resolve(promise).then(
    () => 'committed',
    (error: unknown) => `failed: ${(error as Error).message}`,
  );

describe('Group commit on SQLite', () => {
  it('commits every unit written in the same turn with one COMMIT', async () => {
    const before = storage.commits;
    await Promise.all(['evt_a', 'evt_b', 'evt_c'].map((id) => receive(id)));
    expect(storage.commits - before).toBe(1);
    expect(committedIds()).toEqual(['evt_a', 'evt_b', 'evt_c']);
  });

  it('resolves a unit only once its write is committed, not when it returns', async () => {
    let resolved = false;
    const done = receive('evt_a').then(() => {
      resolved = true;
    });
    await Promise.resolve();
    expect(resolved).toBe(false);
    expect(committedIds()).toEqual([]);
    await done;
    expect(committedIds()).toEqual(['evt_a']);
  });

  it('answers a duplicate of an event of the open batch only once that batch is committed', async () => {
    const original = receive('evt_a');
    let answered = false;
    const duplicate = receive('evt_a').then((result) => {
      answered = true;
      return result;
    });
    await Promise.resolve();
    expect(answered).toBe(false);
    expect(await original).toEqual({ stored: true, id: 'evt_a' });
    expect(await duplicate).toEqual({ stored: false, duplicateOf: 'evt_a', update: { id: 'evt_a', duplicates: 1, processing: { state: 'pending' } } });
    expect(committedIds()).toEqual(['evt_a']);
  });

  it('rolls back only the unit whose write fails; the others of the batch are committed', async () => {
    const outcomes = await Promise.all([outcome(receive('evt_a')), outcome(receive('evt_bad', POISON_WRITE)), outcome(receive('evt_c'))]);
    expect(outcomes).toEqual(['committed', 'failed: database or disk is full', 'committed']);
    expect(committedIds()).toEqual(['evt_a', 'evt_c']);
    expect(await storage.dedupe.lookup(['id:evt_bad'], T0)).toBeUndefined();
    expect(await storage.history.counts()).toEqual({ accepted: 2, rejected: 0 });
  });

  it('rolls back a unit that throws after writing, keeping the history counts right', async () => {
    const failing = storage.commit(() => {
      storage.history.insert(historyEntry('evt_half'));
      throw new Error('the dedupe keys could not be written');
    });
    const kept = receive('evt_kept');
    expect(await outcome(failing)).toBe('failed: the dedupe keys could not be written');
    expect(await outcome(kept)).toBe('committed');
    expect(await storage.history.get('evt_half')).toBeUndefined();
    expect(await storage.history.counts()).toEqual({ accepted: 1, rejected: 0 });
  });

  it('fails every unit of a batch whose COMMIT fails, and keeps none of them', async () => {
    const published: string[] = [];
    const units = ['evt_a', 'evt_poison', 'evt_c'].map((id) => receive(id, id === 'evt_poison' ? POISON_COMMIT : 'user.created').then(() => published.push(id)));
    const outcomes = await Promise.all(units.map(outcome));
    expect(outcomes).toEqual(Array(3).fill('failed: FOREIGN KEY constraint failed'));
    expect(committedIds()).toEqual([]);
    expect(await storage.history.get('evt_a')).toBeUndefined();
    expect(await storage.dedupe.lookup(['id:evt_a', 'id:evt_c'], T0)).toBeUndefined();
    expect(await storage.history.counts()).toEqual({ accepted: 0, rejected: 0 });
    expect(published).toEqual([]);
  });

  it('starts a clean batch after a failed COMMIT', async () => {
    await outcome(receive('evt_poison', POISON_COMMIT));
    await receive('evt_after');
    expect(committedIds()).toEqual(['evt_after']);
    expect(await storage.history.counts()).toEqual({ accepted: 1, rejected: 0 });
  });

  it('resolves a write once the COMMIT is done, and never for a unit that rolled back', async () => {
    const told: string[] = [];
    const ok = storage.history.add(historyEntry('evt_a')).then(() => told.push(`ok, committed: ${committedIds().join()}`));
    const bad = outcome(
      storage.commit(() => {
        throw new Error('no');
      }).then(() => told.push('rolled back')),
    );
    expect(told).toEqual([]);
    await ok;
    expect(await bad).toBe('failed: no');
    expect(told).toEqual(['ok, committed: evt_a']);
  });

  it('writes a delivery as a unit of the open batch: one COMMIT with the webhooks of its turn, durable when it resolves', async () => {
    const before = storage.commits;
    const unit = receive('evt_a');
    const created = storage.deliveries.create(deliveryRecord('dlv_1'), { body: Buffer.from('{}'), signAll: false });
    expect(committedIds()).toEqual([]);
    await Promise.all([unit, created]);
    expect(committedIds()).toEqual(['evt_a']);
    expect(storage.commits - before).toBe(1);
    expect((await storage.deliveries.get('dlv_1'))?.id).toBe('dlv_1');
  });

  it('lets a processing outcome written while a batch is open ride on its COMMIT', async () => {
    await receive('evt_a');
    const before = storage.commits;
    const unit = receive('evt_b');
    const outcomeWritten = storage.history.setProcessing('evt_a', { state: 'done', durationMs: 1 });
    await unit;
    await outcomeWritten;
    expect(storage.commits - before).toBe(1);
    expect((await storage.history.get('evt_a'))!.processing).toEqual({ state: 'done', durationMs: 1 });
  });

  it('resolves a processing outcome joined to the open batch only once that batch is committed', async () => {
    await receive('evt_a');
    const unit = receive('evt_b');
    const told: string[] = [];
    const written = storage.history.setProcessing('evt_a', { state: 'done', durationMs: 1 }).then(() => told.push(`told; committed: ${committedIds().join()}`));

    expect(told).toEqual([]);
    await unit;
    await written;
    expect(told).toEqual(['told; committed: evt_a,evt_b']);
  });

  it('commits what was joined to the open batch when the storage closes', () => {
    void storage.history.add(historyEntry('evt_rejected', { status: 'rejected' }));
    storage.close();
    expect(committedIds()).toEqual(['evt_rejected']);
  });
});

describe('GroupCommit', () => {
  it('commits as soon as a batch holds maxUnits units, without waiting for the end of the turn', async () => {
    const db = openSqliteDatabase(join(dir, 'bounded.db'));
    db.exec('CREATE TABLE t (x INTEGER)');
    const writes = new GroupCommit(db, { maxUnits: 2 });
    const insert = db.prepare('INSERT INTO t VALUES (?)');
    const units = [1, 2, 3].map((x) => writes.commit(() => insert.run(x)));
    expect(writes.commits).toBe(1);
    await Promise.all(units);
    expect(writes.commits).toBe(2);
    db.close();
  });

  it('refuses a unit started inside another unit', async () => {
    const db = openSqliteDatabase(join(dir, 'nested.db'));
    const writes = new GroupCommit(db);
    let inner: Promise<string> | undefined;
    await writes.commit(() => {
      inner = outcome(writes.commit(() => 1));
    });
    expect(await inner).toMatch(/^failed: commit\(\) cannot run inside another unit/);
    db.close();
  });
});
