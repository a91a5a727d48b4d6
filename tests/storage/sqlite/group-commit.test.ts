import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { GroupCommit } from '../../../src/storage/sqlite/group-commit';
import { openSqliteDatabase } from '../../../src/storage/sqlite/database';
import { createStorage } from '../../../src/storage/create-storage';
import type { Storage } from '../../../src/storage/storage';
import { deliveryRecord } from '../../contract/delivery-store';
import { historyEntry } from '../../contract/history-store';
import { testConfig } from '../../helpers/deps';
import { openPoisonedDatabase, POISON_COMMIT, POISON_WRITE } from '../../helpers/poisoned-db';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

let dir: string;
let path: string;
let storage: Storage;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webhooks-group-commit-'));
  path = join(dir, 'webhooks.db');
  storage = createStorage(testConfig({ STORE: 'sqlite' }), { database: openPoisonedDatabase(path) });
});
afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The receive route's unit: the entry and its dedupe key. */
function receive(id: string, eventType = 'user.created'): () => void {
  return () => {
    storage.history.add(historyEntry(id, { eventType }));
    storage.dedupe.remember([`id:${id}`], id, T0);
  };
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
    await Promise.all(['evt_a', 'evt_b', 'evt_c'].map((id) => storage.commit(receive(id))));
    expect(storage.commits - before).toBe(1);
    expect(committedIds()).toEqual(['evt_a', 'evt_b', 'evt_c']);
  });

  it('resolves a unit only once its write is committed, not when it returns', async () => {
    let resolved = false;
    const done = Promise.resolve(storage.commit(receive('evt_a'))).then(() => {
      resolved = true;
    });
    await Promise.resolve();
    expect(resolved).toBe(false);
    expect(committedIds()).toEqual([]);
    await done;
    expect(committedIds()).toEqual(['evt_a']);
  });

  it('rolls back only the unit whose write fails; the others of the batch are committed', async () => {
    const outcomes = await Promise.all([
      outcome(storage.commit(receive('evt_a'))),
      outcome(storage.commit(receive('evt_bad', POISON_WRITE))),
      outcome(storage.commit(receive('evt_c'))),
    ]);
    expect(outcomes).toEqual(['committed', 'failed: database or disk is full', 'committed']);
    expect(committedIds()).toEqual(['evt_a', 'evt_c']);
    expect(storage.dedupe.lookup(['id:evt_bad'], T0)).toBeUndefined();
    expect(storage.history.counts()).toEqual({ accepted: 2, rejected: 0 });
  });

  it('rolls back a unit that throws after writing, keeping the history counts right', async () => {
    const failing = storage.commit(() => {
      storage.history.add(historyEntry('evt_half'));
      throw new Error('the dedupe keys could not be written');
    });
    const kept = storage.commit(receive('evt_kept'));
    expect(await outcome(failing)).toBe('failed: the dedupe keys could not be written');
    expect(await outcome(kept)).toBe('committed');
    expect(storage.history.get('evt_half')).toBeUndefined();
    expect(storage.history.counts()).toEqual({ accepted: 1, rejected: 0 });
  });

  it('fails every unit of a batch whose COMMIT fails, and keeps none of them', async () => {
    const published: string[] = [];
    const units = ['evt_a', 'evt_poison', 'evt_c'].map((id) =>
      storage.commit(() => {
        receive(id, id === 'evt_poison' ? POISON_COMMIT : 'user.created')();
        storage.afterCommit(() => published.push(id));
      }),
    );
    const outcomes = await Promise.all(units.map(outcome));
    expect(outcomes).toEqual(Array(3).fill('failed: FOREIGN KEY constraint failed'));
    expect(committedIds()).toEqual([]);
    expect(storage.history.get('evt_a')).toBeUndefined();
    expect(storage.dedupe.lookup(['id:evt_a', 'id:evt_c'], T0)).toBeUndefined();
    expect(storage.history.counts()).toEqual({ accepted: 0, rejected: 0 });
    expect(published).toEqual([]);
  });

  it('starts a clean batch after a failed COMMIT', async () => {
    await outcome(storage.commit(receive('evt_poison', POISON_COMMIT)));
    await storage.commit(receive('evt_after'));
    expect(committedIds()).toEqual(['evt_after']);
    expect(storage.history.counts()).toEqual({ accepted: 1, rejected: 0 });
  });

  it('runs after-commit callbacks once the COMMIT is done, and never for a unit that rolled back', async () => {
    const published: string[] = [];
    const ok = storage.commit(() => storage.afterCommit(() => published.push(`ok, committed: ${committedIds().join()}`)));
    const bad = outcome(
      storage.commit(() => {
        storage.afterCommit(() => published.push('rolled back'));
        throw new Error('no');
      }),
    );
    storage.history.add(historyEntry('evt_a'));
    expect(published).toEqual([]);
    await ok;
    expect(await bad).toBe('failed: no');
    expect(published).toEqual(['ok, committed: evt_a']);
  });

  it('commits the open batch before a write that must be durable at once (the outbox)', async () => {
    const unit = storage.commit(receive('evt_a'));
    storage.deliveries.create(deliveryRecord('dlv_1'), { body: Buffer.from('{}'), signAll: false });
    expect(committedIds()).toEqual(['evt_a']);
    await unit;
    expect(storage.deliveries.get('dlv_1')?.id).toBe('dlv_1');
  });

  it('lets a processing outcome written while a batch is open ride on its COMMIT', async () => {
    await storage.commit(receive('evt_a'));
    const before = storage.commits;
    const unit = storage.commit(receive('evt_b'));
    storage.history.setProcessing('evt_a', { state: 'done', durationMs: 1 });
    await unit;
    expect(storage.commits - before).toBe(1);
    expect(storage.history.get('evt_a')!.processing).toEqual({ state: 'done', durationMs: 1 });
  });

  it('tells after-commit listeners about a joined write only once the batch holding it is committed', async () => {
    await storage.commit(receive('evt_a'));
    const unit = storage.commit(receive('evt_b'));
    const told: string[] = [];
    storage.history.setProcessing('evt_a', { state: 'done', durationMs: 1 });
    storage.afterCommit(() => told.push(`told; committed: ${committedIds().join()}`));

    expect(told).toEqual([]);
    await unit;
    expect(told).toEqual(['told; committed: evt_a,evt_b']);
  });

  it('commits what was joined to the open batch when the storage closes', () => {
    storage.history.add(historyEntry('evt_rejected', { status: 'rejected' }));
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
