import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Sleep } from '../../src/clock';
import type { DeliveryStore } from '../../src/sender/delivery-store';
import { createSender } from '../../src/sender/sender';
import { MemoryDeliveryStore } from '../../src/storage/memory/delivery-store';
import { openSqliteDatabase } from '../../src/storage/sqlite/database';
import { SqliteDeliveryStore } from '../../src/storage/sqlite/delivery-store';
import { deliveryRecord } from '../contract/delivery-store';
import { nextTurn, until } from '../helpers/async';
import { fakeClock } from '../helpers/deps';
import { reply, scriptedFetch } from '../helpers/send-fakes';

const POLL_MS = 1000;
const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

/** A sleep the test ends by hand: `fire()` moves the clock to the latest armed timer's time and ends it. */
function manualSleep(clock: ReturnType<typeof fakeClock>) {
  const armed: { ms: number; end: () => void; aborted: boolean; ended?: boolean }[] = [];
  const sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      const timer = { ms, end: resolve, aborted: false };
      armed.push(timer);
      signal?.addEventListener('abort', () => {
        timer.aborted = true;
        reject(signal.reason);
      });
    });
  return {
    sleep,
    armed,
    live: () => armed.filter((t) => !t.aborted && !t.ended),
    fire(): void {
      const timer = armed.filter((t) => !t.aborted && !t.ended).at(-1)!;
      timer.ended = true;
      clock.advance(timer.ms);
      timer.end();
    },
  };
}

type Backend = { name: string; open(poll: boolean): DeliveryStore; close(): void };

const dirs: string[] = [];
const databases: { close(): void }[] = [];
const backends: Backend[] = [
  {
    name: 'memory',
    open: (poll) => (poll ? Object.assign(new MemoryDeliveryStore(100), { pollIntervalMs: POLL_MS }) : new MemoryDeliveryStore(100)),
    close: () => undefined,
  },
  {
    name: 'sqlite',
    open(poll) {
      const dir = mkdtempSync(join(tmpdir(), 'webhooks-poll-'));
      dirs.push(dir);
      const db = openSqliteDatabase(join(dir, 'poll.db'));
      databases.push(db);
      const store = new SqliteDeliveryStore(db, { limit: 100, secrets: () => ['configured-secret'] });
      return poll ? Object.assign(store, { pollIntervalMs: POLL_MS }) : store;
    },
    close: () => {
      for (const db of databases.splice(0)) db.close();
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  },
];

// A store that other instances share (PostgreSQL) is written behind this instance's back: the loop must look
// at it by itself, within the store's poll interval. Shown here on the single-process backends, with a writer
// standing in for the other instance.
describe.each(backends)('delivery loop on a shared store ($name)', (backend) => {
  afterEach(() => backend.close());

  function setup(poll: boolean) {
    const clock = fakeClock(T0);
    const timers = manualSleep(clock);
    const scripted = scriptedFetch([reply(200)]);
    const store = backend.open(poll);
    let ids = 0;
    const sender = createSender({
      fetch: scripted.fetch,
      sleep: timers.sleep,
      now: clock.now,
      random: () => 0.5,
      logger: pino({ level: 'silent' }),
      store,
      config: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 1000, concurrency: 10 },
      newId: (prefix) => `${prefix}_${(ids += 1)}`,
      secretsFor: () => ['configured-secret'],
    });
    return { clock, timers, store, sender, calls: scripted.calls };
  }

  it('attempts a delivery another instance stored, at the next poll, with nothing due locally', async () => {
    const { timers, store, sender, calls } = setup(true);
    await sender.resumePending();
    await until(() => timers.live().length === 1);
    expect(timers.live()[0]!.ms).toBe(POLL_MS);

    await store.create(deliveryRecord('other', { nextAttemptAt: new Date(T0).toISOString() }), { body: Buffer.from('{}'), signAll: false });
    for (let i = 0; i < 20; i += 1) await nextTurn();
    expect(calls).toHaveLength(0); // nobody told this instance

    timers.fire();
    await until(() => calls.length === 1);
    await until(() => sender.active() === 0);
    expect((await store.get('other'))!.status).toBe('delivered');
    await sender.stop();
  });

  it('takes over a delivery whose claim ran out (its instance died), at the first poll past the lease', async () => {
    const { timers, store, sender, calls } = setup(true);
    await store.create(deliveryRecord('orphan', { timeoutMs: 1000, nextAttemptAt: new Date(T0).toISOString() }), { body: Buffer.from('{}'), signAll: false });
    // The dead instance's claim: lease until T0 + 1000 (timeout) + 500 (margin).
    expect(await store.claimDue({ nowMs: T0, limit: 1, token: 'dead:1', leaseMarginMs: 500 })).toHaveLength(1);
    await sender.resumePending();
    await until(() => timers.live().length === 1);
    timers.fire(); // T0 + 1000: the lease still holds
    await until(() => timers.live().length === 1 && timers.armed.length === 2);
    expect(calls).toHaveLength(0);
    timers.fire(); // T0 + 2000: past it
    await until(() => calls.length === 1);
    await until(() => sender.active() === 0);
    const record = (await store.get('orphan'))!;
    expect(record.status).toBe('delivered');
    expect(await store.complete({ ...record, status: 'failed' }, 'dead:1')).toBe(false);
    expect((await store.get('orphan'))!.status).toBe('delivered');
    await sender.stop();
  });

  it('answers whoever waits for a delivery that another instance ended', async () => {
    const { timers, store, sender, calls } = setup(true);
    const later = new Date(T0 + 60_000).toISOString();
    await store.create(deliveryRecord('elsewhere', { nextAttemptAt: later }), { body: Buffer.from('{}'), signAll: false });
    let answered: string | undefined;
    void sender.settled('elsewhere').then((record) => (answered = record.status));
    // The other instance claims it when due and records its outcome; this one is not told.
    const [claimed] = await store.claimDue({ nowMs: T0 + 60_000, limit: 1, token: 'other:1', leaseMarginMs: 30_000 });
    expect(await store.complete({ ...claimed!.record, status: 'delivered', nextAttemptAt: null }, 'other:1')).toBe(true);
    for (let i = 0; i < 20; i += 1) await nextTurn();
    expect(answered).toBeUndefined();
    await until(() => timers.live().some((t) => t.ms === POLL_MS));
    for (let fired = 0; answered === undefined && fired < 5; fired += 1) {
      for (const timer of timers.live()) {
        timer.ended = true;
        timer.end();
      }
      for (let i = 0; i < 20; i += 1) await nextTurn();
    }
    expect(answered).toBe('delivered');
    expect(calls).toHaveLength(0);
    await sender.stop();
  });

  it('arms no poll for a store only this process writes', async () => {
    const { timers, store, sender, calls } = setup(false);
    await sender.resumePending();
    for (let i = 0; i < 20; i += 1) await nextTurn(); // the loop has looked and gone to sleep
    await store.create(deliveryRecord('behind-its-back'), { body: Buffer.from('{}'), signAll: false });
    for (let i = 0; i < 20; i += 1) await nextTurn();
    expect(timers.live()).toHaveLength(0);
    expect(calls).toHaveLength(0);
    await sender.stop();
  });
});
