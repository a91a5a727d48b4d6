import pino from 'pino';
import type { DeliveryContent, DeliveryRecord } from '../../src/sender/delivery-store';
import { MemoryDeliveryStore } from '../../src/storage/memory/delivery-store';
import { createSender, type FetchLike } from '../../src/sender/sender';
import { deliveryRecord } from '../contract/delivery-store';
import { fakeClock } from '../helpers/deps';

const config = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 1000, concurrency: 4 };

function setup(responses: number[]) {
  const clock = fakeClock();
  const store = new MemoryDeliveryStore(100);
  const sleeps: number[] = [];
  const requests: { eventId: string | null }[] = [];
  const fetch: FetchLike = async (_url, init) => {
    requests.push({ eventId: new Headers(init.headers).get('x-webhook-id') });
    return new Response('ok', { status: responses.shift() ?? 200 });
  };
  const sender = createSender({
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
    now: clock.now,
    random: () => 0.5,
    logger: pino({ level: 'silent' }),
    store,
    config,
    newId: (prefix) => `${prefix}_new`,
    secretsFor: () => ['configured'],
  });
  return { clock, store, sender, sleeps, requests };
}

function storePending(store: MemoryDeliveryStore, record: DeliveryRecord, content: Partial<DeliveryContent> = {}): Promise<void> {
  return store.create(record, { body: Buffer.from('{"a":1}'), signAll: false, ...content });
}

describe('sender.resumePending', () => {
  it('resumes a pending delivery at its scheduled time, numbering attempts on from where they stopped', async () => {
    const { clock, store, sender, sleeps, requests } = setup([200]);
    await storePending(
      store,
      deliveryRecord('dlv_1', {
        attempts: [{ number: 1, series: 1, startedAt: new Date(clock.now() - 1000).toISOString(), durationMs: 3, statusCode: 500 }],
        nextAttemptAt: new Date(clock.now() + 700).toISOString(),
        interruptedAt: new Date(clock.now() - 500).toISOString(),
        error: 'server stopped before attempt 2',
      }),
    );
    expect(await sender.resumePending()).toBe(1);
    const settled = await sender.settled('dlv_1');
    expect(sleeps).toEqual([700]);
    expect(settled.status).toBe('delivered');
    expect(settled.attempts.map((a) => [a.number, a.series, a.statusCode])).toEqual([
      [1, 1, 500],
      [2, 1, 200],
    ]);
    expect(settled.interruptedAt).toBeUndefined();
    expect(settled.error).toBeNull();
    expect(requests).toEqual([{ eventId: 'evt_dlv_1' }]);
  });

  it('attempts at once a delivery whose scheduled time has passed', async () => {
    const { clock, store, sender, sleeps } = setup([200]);
    await storePending(store, deliveryRecord('dlv_1', { nextAttemptAt: new Date(clock.now() - 60_000).toISOString() }));
    await sender.resumePending();
    expect((await sender.settled('dlv_1')).status).toBe('delivered');
    expect(sleeps).toEqual([]);
  });

  it('counts the attempts already made against maxAttempts', async () => {
    const { clock, store, sender } = setup([500]);
    const attempt = (number: number) => ({ number, series: 1, startedAt: new Date(clock.now()).toISOString(), durationMs: 1, statusCode: 500 });
    await storePending(store, deliveryRecord('dlv_1', { maxAttempts: 3, attempts: [attempt(1), attempt(2)] }));
    await sender.resumePending();
    const settled = await sender.settled('dlv_1');
    expect(settled.status).toBe('failed');
    expect(settled.attempts).toHaveLength(3);
  });

  it('fails, without sending, a delivery whose per-request secret cannot be recovered', async () => {
    const { store, sender, requests } = setup([200]);
    const record = deliveryRecord('dlv_1');
    await store.create(record, { body: Buffer.from('{}'), signAll: false, secretUnavailable: true });
    await sender.resumePending();
    const settled = await sender.settled('dlv_1');
    expect(settled.status).toBe('failed');
    expect(settled.error).toMatch(/per-request secret/);
    expect(requests).toEqual([]);
  });

  it('leaves alone the deliveries it is already running', async () => {
    const { sender } = setup([200]);
    const record = await sender.send({ url: 'http://127.0.0.1:9/hook', eventType: 'a.b', payload: {}, scheme: 'native' });
    expect(await sender.resumePending()).toBe(0);
    expect((await sender.settled(record.id)).attempts).toHaveLength(1);
  });
});

describe('sender.send and the outbox', () => {
  it('stores the delivery, due now, before its first attempt', async () => {
    const { clock, store, sender, requests } = setup([200]);
    let storedBeforeFetch: DeliveryRecord | undefined;
    let requestsBeforeStored = -1;
    const create = store.create.bind(store);
    store.create = (record, content, lease) => {
      storedBeforeFetch = structuredClone(record);
      requestsBeforeStored = requests.length;
      return create(record, content, lease);
    };
    await sender.send({ url: 'http://127.0.0.1:9/hook', eventType: 'a.b', payload: {}, scheme: 'native' });
    expect(storedBeforeFetch!.attempts).toEqual([]);
    expect(storedBeforeFetch!.nextAttemptAt).toBe(new Date(clock.now()).toISOString());
    expect(requestsBeforeStored).toBe(0);
  });

  it('answers 503 storage.unavailable when the delivery cannot be stored', async () => {
    const { store, sender, requests } = setup([200]);
    store.create = () => Promise.reject(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
    await expect(sender.send({ url: 'http://127.0.0.1:9/hook', eventType: 'a.b', payload: {}, scheme: 'native' })).rejects.toMatchObject({
      status: 503,
      code: 'storage.unavailable',
    });
    expect(requests).toEqual([]);
    expect(sender.active()).toBe(0);
  });
});
