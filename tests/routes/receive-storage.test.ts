import request from 'supertest';
import { createApp } from '../../src/app';
import { MemoryDedupeStore } from '../../src/storage/memory/dedupe-store';
import { MemoryHistoryStore } from '../../src/storage/memory/history-store';
import { MemoryStorage } from '../../src/storage/memory/storage';
import type { HistoryEntry } from '../../src/history/store';
import { fakeClock, makeDeps, testConfig } from '../helpers/deps';
import { nativeHeaders } from '../helpers/sign';

/** A disk-full error as better-sqlite3 raises it. */
function diskFull(): Error {
  return Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
}

/** A history whose writes fail like a full disk; reads still work. */
class FullDiskHistory extends MemoryHistoryStore {
  override insert(_entry: HistoryEntry): void {
    throw diskFull();
  }
}

/** The memory backend with some of its stores replaced. */
function storageWith(parts: { history?: MemoryHistoryStore; dedupe?: MemoryDedupeStore }): MemoryStorage {
  return new MemoryStorage(testConfig(), parts);
}

const body = JSON.stringify({ userId: '123' });

describe('POST /webhook/receive when storage fails', () => {
  it('answers 503 storage.unavailable, not 200, when the event cannot be stored', async () => {
    const clock = fakeClock();
    const deps = makeDeps({ now: clock.now, storage: storageWith({ history: new FullDiskHistory({ limit: 10, rejectedLimit: 10 }) }) });
    const res = await request(createApp(deps)).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), id: 'evt_1' })).send(body);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('storage.unavailable');
    expect(res.headers['retry-after']).toBe('5');
    expect(JSON.stringify(res.body)).not.toContain('SQLITE_FULL');
    expect(deps.processor.pending()).toBe(0);
    expect(deps.rawBodies.get('evt_1')).toBeUndefined(); // nothing kept for replay of an event that was not stored
  });

  it('does not remember the event as seen, so the sender’s retry is not taken for a duplicate', async () => {
    const clock = fakeClock();
    const deps = makeDeps({ now: clock.now, storage: storageWith({ history: new FullDiskHistory({ limit: 10, rejectedLimit: 10 }) }) });
    const app = createApp(deps);
    await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), id: 'evt_1' })).send(body);
    expect(await deps.dedupe.lookup(['id:evt_1'], clock.now())).toBeUndefined();
  });

  it('answers 503 when the dedupe keys cannot be read', async () => {
    const clock = fakeClock();
    /** Dedupe keys that cannot be read, like a disk that fails. */
    class UnreadableKeys extends MemoryDedupeStore {
      override check(): never {
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      }
    }
    const dedupe = new UnreadableKeys({ ttlSeconds: 60, maxEntries: 10 });
    const deps = makeDeps({ now: clock.now, storage: storageWith({ dedupe, history: new MemoryHistoryStore({ limit: 10, rejectedLimit: 10 }, dedupe) }) });
    const res = await request(createApp(deps)).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), id: 'evt_1' })).send(body);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('storage.unavailable');
  });

  it('still answers a bad signature 401 when the rejection cannot be recorded', async () => {
    const clock = fakeClock();
    const deps = makeDeps({ now: clock.now, storage: storageWith({ history: new FullDiskHistory({ limit: 10, rejectedLimit: 10 }) }) });
    const res = await request(createApp(deps))
      .post('/webhook/receive')
      .set(nativeHeaders(body, { nowMs: clock.now(), secret: 'wrong-secret' }))
      .send(body);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('signature.mismatch');
  });
});

describe('POST /webhook/receive with STORE=sqlite', () => {
  it('has the event committed, with its raw body pending processing, when it answers 200', async () => {
    const clock = fakeClock();
    const deps = makeDeps({ now: clock.now, env: { STORE: 'sqlite', SQLITE_PATH: ':memory:' } });
    // Nothing is processed in this test: the queue is a stand-in that never runs handlers.
    const queued: string[] = [];
    const app = createApp({ ...deps, processor: { enqueue: (e) => queued.push(e.id), pending: () => queued.length, onIdle: async () => undefined } });
    const res = await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), id: 'evt_sql' })).send(body);
    expect(res.status).toBe(200);
    expect((await deps.history.get('evt_sql'))!.payload).toEqual({ userId: '123' });
    expect((await deps.history.pendingProcessing()).map((e) => [e.id, e.rawBody.toString()])).toEqual([['evt_sql', body]]);
    const again = await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: clock.now(), id: 'evt_sql' })).send(body);
    expect(again.body).toEqual({ received: true, id: 'evt_sql', duplicate: true });
    expect((await deps.history.get('evt_sql'))!.duplicates).toBe(1);
    deps.storage.close();
  });
});
