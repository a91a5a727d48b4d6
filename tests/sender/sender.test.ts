import pino from 'pino';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { Now, Random, Sleep } from '../../src/clock';
import type { SendConfig } from '../../src/config';
import { ConflictError, NotFoundError } from '../../src/errors';
import type { DeliveryRecord } from '../../src/sender/delivery-store';
import { MemoryDeliveryStore } from '../../src/storage/memory/delivery-store';
import { createSender, type FetchLike, type SendRequest } from '../../src/sender/sender';
import { signNative } from '../../src/signature/native';
import { USER_AGENT } from '../../src/version';
import { nextTurn, until } from '../helpers/async';
import { fakeClock, memoryLogger } from '../helpers/deps';
import { deferred, networkError, recordingSleep, reply, scriptedFetch, type FetchStep } from '../helpers/send-fakes';

const SECRET = 'sender-secret';
const URL_ = 'https://receiver.example/hooks';
const payload = { userId: '123', email: 'user@example.com' };

const baseConfig: SendConfig = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 10_000, concurrency: 50 };

/** A sender on fakes: a scripted fetch, a sleep that records and moves the clock, random fixed at 0.5 (no jitter). */
function setup(
  steps: FetchStep[] = [],
  options: {
    config?: Partial<SendConfig>;
    secrets?: string[];
    fetch?: FetchLike;
    sleep?: Sleep;
    now?: Now;
    random?: Random;
    clockStartMs?: number;
    logger?: ReturnType<typeof memoryLogger>['logger'];
  } = {},
) {
  const clock = fakeClock(options.clockStartMs);
  const scripted = scriptedFetch(steps);
  const recording = recordingSleep(clock.advance);
  const store = new MemoryDeliveryStore(100);
  let ids = 0;
  const sender = createSender({
    fetch: options.fetch ?? scripted.fetch,
    sleep: options.sleep ?? recording.sleep,
    now: options.now ?? clock.now,
    random: options.random ?? (() => 0.5),
    logger: options.logger ?? pino({ level: 'silent' }),
    store,
    config: { ...baseConfig, ...options.config },
    newId: (prefix) => `${prefix}_${(ids += 1)}`,
    secretsFor: () => options.secrets ?? [SECRET],
  });
  const send = (request: Partial<SendRequest> = {}): Promise<DeliveryRecord> =>
    sender.send({ url: URL_, eventType: 'user.created', payload, scheme: 'native', ...request });
  return { sender, send, store, clock, calls: scripted.calls, push: scripted.push, delays: recording.delays };
}

describe('createSender: every attempt', () => {
  it('carries the same event id, the record’s eventId', async () => {
    const { sender, send, calls } = setup([reply(500), reply(500), reply(200)]);
    const record = await send();
    await sender.settled(record.id);
    expect(calls).toHaveLength(3);
    expect(calls.map((c) => c.headers.get('x-webhook-id'))).toEqual([record.eventId, record.eventId, record.eventId]);
    expect(record.eventId).toMatch(/^evt_/);
  });

  it('is signed afresh, with the timestamp of the moment it starts', async () => {
    const { sender, send, calls, clock } = setup([reply(503), reply(503), reply(200)]);
    const startSeconds = Math.floor(clock.now() / 1000);
    await sender.settled((await send()).id);
    const timestamps = calls.map((c) => Number(c.headers.get('x-webhook-timestamp')));
    // The fake clock moved by the backoff (1 s, then 2 s) while the sender slept.
    expect(timestamps).toEqual([startSeconds, startSeconds + 1, startSeconds + 3]);
    const signatures = calls.map((c) => c.headers.get('x-webhook-signature'));
    expect(new Set(signatures).size).toBe(3);
    calls.forEach((c, i) => expect(signatures[i]).toBe(signNative(SECRET, timestamps[i]!, c.body)));
  });

  it('sends the same body bytes: the payload serialized once', async () => {
    const { sender, send, calls } = setup([reply(500), networkError(), reply(200)]);
    await sender.settled((await send()).id);
    const expected = Buffer.from(JSON.stringify(payload));
    expect(calls.map((c) => c.body.equals(expected))).toEqual([true, true, true]);
  });

  it('sends the exact bytes it was given to replay', async () => {
    const raw = Buffer.from('{ "spaced" : true }');
    const { sender, send, calls } = setup([reply(500), reply(204)]);
    await sender.settled((await send({ body: raw })).id);
    expect(calls.map((c) => c.body.toString())).toEqual([raw.toString(), raw.toString()]);
  });

  it('says it is JSON, names its user agent and the event type', async () => {
    const { sender, send, calls } = setup([reply(200)]);
    await sender.settled((await send()).id);
    expect(calls[0]!.headers.get('content-type')).toBe('application/json');
    expect(calls[0]!.headers.get('user-agent')).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^webhook-server\/\d+\.\d+\.\d+/);
    expect(calls[0]!.headers.get('x-webhook-event')).toBe('user.created');
  });

  it('is a POST to the url that does not follow redirects and can be aborted', async () => {
    const { sender, send, calls } = setup([reply(200)]);
    await sender.settled((await send()).id);
    expect(calls[0]!.url).toBe(URL_);
    expect(calls[0]!.init.method).toBe('POST');
    expect(calls[0]!.init.redirect).toBe('manual');
    expect(calls[0]!.init.signal).toBeInstanceOf(AbortSignal);
  });
});

describe('createSender: retries', () => {
  it('waits the exponential backoff between attempts and gives up after maxAttempts', async () => {
    const { sender, send, calls, delays } = setup([reply(503), reply(503), reply(503), reply(503), reply(503)]);
    const record = await sender.settled((await send()).id);
    expect(calls).toHaveLength(5);
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
    expect(record.status).toBe('failed');
    expect(record.error).toBe('gave up after 5 attempts (last status 503)');
  });

  it('spreads each delay by the injected random', async () => {
    const { sender, send, delays } = setup([reply(500), reply(500), reply(200)], { random: () => 0 });
    await sender.settled((await send()).id);
    expect(delays).toEqual([800, 1600]);
  });

  it('caps the delay at maxDelayMs', async () => {
    const { sender, send, delays } = setup([reply(500), reply(500), reply(500), reply(500)], { config: { baseDelayMs: 10, maxDelayMs: 25 } });
    await sender.settled((await send({ maxAttempts: 4 })).id);
    expect(delays).toEqual([10, 20, 25]);
  });

  it('retries a 503 after the Retry-After it gives', async () => {
    const { sender, send, delays } = setup([reply(503, '', { 'retry-after': '7' }), reply(200)]);
    const record = await sender.settled((await send()).id);
    expect(delays).toEqual([7000]);
    expect(record.status).toBe('delivered');
  });

  it('honours a Retry-After HTTP date against the injected clock, capped at maxDelayMs', async () => {
    const clock = fakeClock();
    const at = new Date(clock.now() + 90_000).toUTCString();
    const { sender, send, delays } = setup([reply(429, '', { 'retry-after': at }), reply(200)], { now: clock.now, config: { maxDelayMs: 30_000 } });
    await sender.settled((await send()).id);
    expect(delays).toEqual([30_000]);
  });

  it('retries a timed-out attempt and records it as timed out', async () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const { sender, send, calls } = setup([timeout, reply(200)]);
    const record = await sender.settled((await send()).id);
    expect(calls).toHaveLength(2);
    expect(record.attempts[0]!.error).toBe('timed out');
    expect(record.status).toBe('delivered');
  });

  it('fails a 400 at once, without waiting', async () => {
    const { sender, send, calls, delays } = setup([reply(400, 'bad')]);
    const record = await sender.settled((await send()).id);
    expect(calls).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(record.status).toBe('failed');
    expect(record.error).toBe('status 400 is not retried (last status 400)');
  });

  it('fails a 302 at once: redirects are not followed', async () => {
    const { sender, send, calls } = setup([reply(302, '', { location: 'https://elsewhere.example/' })]);
    const record = await sender.settled((await send()).id);
    expect(calls.map((c) => c.url)).toEqual([URL_]);
    expect(record.error).toBe('redirect 302 not followed (last status 302)');
  });

  it('uses the maxAttempts of the request over the configured one', async () => {
    const { sender, send, calls } = setup([networkError(), networkError(), reply(200)]);
    const record = await sender.settled((await send({ maxAttempts: 2 })).id);
    expect(calls).toHaveLength(2);
    expect(record.status).toBe('failed');
    expect(record.error).toBe('gave up after 2 attempts (last error: fetch failed: ECONNREFUSED)');
  });
});

describe('createSender: the delivery record', () => {
  it('records every attempt: number, start, duration, status or error, response body', async () => {
    const clock = fakeClock();
    const took = (ms: number, answer: FetchStep) => async () => {
      clock.advance(ms);
      if (!(answer instanceof Response)) throw answer;
      return answer;
    };
    const { sender, send } = setup([], {
      now: clock.now,
      fetch: scriptedFetch([took(40, networkError('ECONNRESET')), took(15, reply(503, 'busy')), took(5, reply(200, '{"ok":true}'))]).fetch,
      sleep: recordingSleep(clock.advance).sleep,
    });
    const created = clock.now();
    const record = await sender.settled((await send()).id);

    expect(record.status).toBe('delivered');
    expect(record.error).toBeNull();
    expect(record.nextAttemptAt).toBeNull();
    expect(record.createdAt).toBe(new Date(created).toISOString());
    expect(record.attempts).toEqual([
      { number: 1, series: 1, startedAt: new Date(created).toISOString(), url: URL_, durationMs: 40, error: 'fetch failed: ECONNRESET' },
      { number: 2, series: 1, startedAt: new Date(created + 40 + 1000).toISOString(), url: URL_, durationMs: 15, statusCode: 503, responseBody: 'busy' },
      { number: 3, series: 1, startedAt: new Date(created + 40 + 1000 + 15 + 2000).toISOString(), url: URL_, durationMs: 5, statusCode: 200, responseBody: '{"ok":true}' },
    ]);
    expect(record).toMatchObject({ url: URL_, eventType: 'user.created', scheme: 'native', maxAttempts: 5, timeoutMs: 10_000 });
  });

  it('keeps only the first 1 KB of a response body', async () => {
    const { sender, send } = setup([reply(500, 'x'.repeat(5000))], { config: { maxAttempts: 1 } });
    const record = await sender.settled((await send()).id);
    expect(record.attempts[0]!.responseBody).toBe('x'.repeat(1024));
  });

  it('says when the next attempt is due while it waits, and is pending meanwhile', async () => {
    const clock = fakeClock();
    const seen: { status: string; nextAttemptAt: string | null }[] = [];
    let id = '';
    const { sender, send, store } = setup([reply(500), reply(200)], {
      now: clock.now,
      sleep: async (ms) => {
        const waiting = (await store.get(id))!;
        seen.push({ status: waiting.status, nextAttemptAt: waiting.nextAttemptAt });
        clock.advance(ms);
      },
    });
    id = (await send()).id;
    const record = await sender.settled(id);
    expect(seen).toEqual([{ status: 'pending', nextAttemptAt: new Date(clock.now()).toISOString() }]);
    expect(record.nextAttemptAt).toBeNull();
  });

  it('is stored: the store lists it as delivered once it is', async () => {
    const { sender, send, store } = setup([reply(200)]);
    const record = await send();
    expect((await store.get(record.id))!.status).toBe('pending');
    await sender.settled(record.id);
    expect((await store.list({ limit: 10, status: 'delivered' })).items.map((r) => r.id)).toEqual([record.id]);
  });
});

describe('createSender: signing', () => {
  // The standardwebhooks library checks the timestamp against the real clock, so the fake one starts now.
  const standardSecret = `whsec_${Buffer.from('a standard webhooks key of 32 b!').toString('base64')}`;

  it('sends the Standard Webhooks envelope and headers that the standardwebhooks library accepts', async () => {
    const { sender, send, calls, clock } = setup([reply(500), reply(200)], { secrets: [standardSecret], clockStartMs: Date.now() });
    const record = await sender.settled((await send({ scheme: 'standard' })).id);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      const headers = Object.fromEntries(call.headers.entries());
      expect(headers['webhook-id']).toBe(record.eventId);
      expect(headers['x-webhook-signature']).toBeUndefined();
      const verified = new Webhook(standardSecret).verify(call.body.toString(), headers);
      expect(verified).toEqual({ type: 'user.created', timestamp: record.createdAt, data: payload });
    }
    expect(calls[0]!.body.equals(calls[1]!.body)).toBe(true);
    expect(calls[0]!.headers.get('webhook-timestamp')).not.toBe(calls[1]!.headers.get('webhook-timestamp'));
    expect(clock.now()).toBeGreaterThan(Date.parse(record.createdAt));
  });

  it('is refused by the standardwebhooks library for another secret', async () => {
    const { sender, send, calls } = setup([reply(200)], { secrets: [standardSecret], clockStartMs: Date.now() });
    await sender.settled((await send({ scheme: 'standard' })).id);
    const other = `whsec_${Buffer.from('another key, another sender....!').toString('base64')}`;
    expect(() => new Webhook(other).verify(calls[0]!.body.toString(), Object.fromEntries(calls[0]!.headers.entries()))).toThrow(
      new WebhookVerificationError('No matching signature found'),
    );
  });

  it('signs with the first configured secret only, by default', async () => {
    const { sender, send, calls } = setup([reply(200)], { secrets: ['new-secret', 'old-secret'] });
    await sender.settled((await send()).id);
    const ts = calls[0]!.headers.get('x-webhook-timestamp')!;
    expect(calls[0]!.headers.get('x-webhook-signature')).toBe(signNative('new-secret', ts, calls[0]!.body));
  });

  it('puts one native signature per configured secret with signAll', async () => {
    const { sender, send, calls } = setup([reply(200)], { secrets: ['new-secret', 'old-secret'] });
    await sender.settled((await send({ signAll: true })).id);
    const ts = calls[0]!.headers.get('x-webhook-timestamp')!;
    expect(calls[0]!.headers.get('x-webhook-signature')!.split(',')).toEqual([
      signNative('new-secret', ts, calls[0]!.body),
      signNative('old-secret', ts, calls[0]!.body),
    ]);
  });

  it('puts one standard signature per configured secret with signAll, each accepted on its own', async () => {
    const oldSecret = `whsec_${Buffer.from('the old key that still verifies!').toString('base64')}`;
    const { sender, send, calls } = setup([reply(200)], { secrets: [standardSecret, oldSecret], clockStartMs: Date.now() });
    await sender.settled((await send({ scheme: 'standard', signAll: true })).id);
    const headers = Object.fromEntries(calls[0]!.headers.entries());
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => new Webhook(standardSecret).verify(calls[0]!.body.toString(), headers)).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(calls[0]!.body.toString(), headers)).not.toThrow();
  });

  it('signs with the secret given in the request instead of the configured ones', async () => {
    const { sender, send, calls } = setup([reply(200)], { secrets: ['configured'] });
    await sender.settled((await send({ secret: 'per-request', signAll: true })).id);
    const ts = calls[0]!.headers.get('x-webhook-timestamp')!;
    expect(calls[0]!.headers.get('x-webhook-signature')).toBe(signNative('per-request', ts, calls[0]!.body));
  });
});

describe('createSender: concurrency', () => {
  it('never has more than config.concurrency requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    let started = 0;
    const fetch: FetchLike = async () => {
      started += 1;
      inFlight += 1;
      most = Math.max(most, inFlight);
      // Stay in flight across a few turns of the event loop so the others get their chance to start.
      for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return reply(200);
    };
    const { sender, send } = setup([], { fetch, config: { concurrency: 2 } });
    const records = await Promise.all(Array.from({ length: 10 }, () => send()));
    const settled = await Promise.all(records.map((r) => sender.settled(r.id)));
    expect(started).toBe(10);
    expect(most).toBe(2);
    expect(settled.every((r) => r.status === 'delivered')).toBe(true);
  });

  it('holds no slot while a delivery waits for its retry', async () => {
    const release = deferred();
    const waiting = deferred();
    const clock = fakeClock();
    const { sender, send, push } = setup([reply(500)], {
      config: { concurrency: 1 },
      now: clock.now,
      // The retry's wait lasts until the test lets time pass.
      sleep: async (ms) => {
        waiting.resolve();
        await release.promise;
        clock.advance(ms);
      },
    });
    const first = await send();
    await waiting.promise;
    push(reply(200));
    const second = await sender.settled((await send()).id);
    expect(second.status).toBe('delivered');
    push(reply(200));
    release.resolve();
    expect((await sender.settled(first.id)).status).toBe('delivered');
  });
});

describe('createSender: the outbox scheduler', () => {
  it('keeps one timer for every delivery waiting, for the earliest due time', async () => {
    const clock = fakeClock();
    let waiting = 0;
    let most = 0;
    const armed: number[] = [];
    // A sleep that never ends by itself: only an abort (a sooner timer, or stop) ends it.
    const sleep: Sleep = (ms, signal) =>
      new Promise<void>((_resolve, reject) => {
        waiting += 1;
        most = Math.max(most, waiting);
        armed.push(ms);
        signal!.addEventListener('abort', () => {
          waiting -= 1;
          reject(signal!.reason);
        });
      });
    const answers = [30, 10, 20, 10, 40].map((seconds) => reply(503, '', { 'retry-after': String(seconds) }));
    const { sender, send, store, calls } = setup(answers, { now: clock.now, sleep });
    for (let i = 0; i < answers.length; i += 1) await send();
    await until(() => calls.length === answers.length && sender.active() === 0);
    await nextTurn();

    expect((await store.counts()).pending).toBe(5);
    expect(most).toBe(1);
    expect(waiting).toBe(1);
    expect(armed.at(-1)).toBe(10_000); // the earliest Retry-After
    expect(await store.nextDueMs()).toBe(clock.now() + 10_000);
    await sender.stop();
    expect(waiting).toBe(0);
  });
});

describe('createSender: logs', () => {
  it('logs a failed attempt at warn and a delivered one at info, without the signature', async () => {
    const { logger, lines } = memoryLogger();
    const { sender, send, calls } = setup([reply(500), reply(200)], { logger });
    await sender.settled((await send()).id);
    const attempts = lines()
      .map((line) => JSON.parse(line) as { level: number; msg: string; statusCode?: number })
      .filter((line) => line.msg === 'webhook attempt');
    expect(attempts.map((a) => [a.statusCode, a.level])).toEqual([
      [500, 40],
      [200, 30],
    ]);
    const signature = calls[0]!.headers.get('x-webhook-signature')!;
    expect(lines().some((line) => line.includes(signature.slice('sha256='.length)))).toBe(false);
  });
});

describe('createSender: retry(id)', () => {
  it('starts a new series with the same event id and body for a delivery that ended', async () => {
    const { sender, send, calls, push } = setup([reply(410)]);
    const record = await send();
    await sender.settled(record.id);

    push(reply(200));
    const retried = await sender.retry(record.id);
    expect(retried.status).toBe('pending');
    expect(retried.error).toBeNull();
    const done = await sender.settled(record.id);

    expect(done.status).toBe('delivered');
    expect(done.attempts.map((a) => [a.number, a.series, a.statusCode])).toEqual([
      [1, 1, 410],
      [2, 2, 200],
    ]);
    expect(calls.map((c) => c.headers.get('x-webhook-id'))).toEqual([record.eventId, record.eventId]);
    expect(calls[1]!.body.equals(calls[0]!.body)).toBe(true);
  });

  it('allows maxAttempts again in the new series', async () => {
    const { sender, send, calls, push, delays } = setup([reply(500), reply(500)]);
    const record = await send({ maxAttempts: 2 });
    await sender.settled(record.id);
    push(reply(500), reply(200));
    await sender.retry(record.id);
    const done = await sender.settled(record.id);
    expect(calls).toHaveLength(4);
    expect(delays).toEqual([1000, 1000]);
    expect(done.status).toBe('delivered');
  });

  it('refuses a delivery still pending with a 409 ConflictError', async () => {
    const answer = deferred<Response>();
    const { sender, send } = setup([() => answer.promise]);
    const record = await send();
    const refused = sender.retry(record.id);
    await expect(refused).rejects.toThrow(ConflictError);
    await expect(refused).rejects.toMatchObject({ status: 409, code: 'delivery.pending' });
    answer.resolve(reply(200));
    expect((await sender.settled(record.id)).attempts).toHaveLength(1);
  });

  it('refuses an unknown id with a 404 NotFoundError', async () => {
    const { sender } = setup();
    await expect(sender.retry('dlv_missing')).rejects.toThrow(NotFoundError);
  });
});

describe('createSender: stop()', () => {
  it('interrupts a delivery waiting for a retry, and the record says so', async () => {
    const clock = fakeClock();
    const sleeping = deferred();
    const { sender, send, calls, store } = setup([reply(503)], {
      now: clock.now,
      // Waits until the stop signal, like the real sleep would for a long delay.
      sleep: (_ms, signal) =>
        new Promise<void>((_resolve, reject) => {
          signal!.addEventListener('abort', () => reject(signal!.reason), { once: true });
          sleeping.resolve();
        }),
    });
    const record = await send();
    await sleeping.promise;
    // Waiting for its retry, the delivery is a record in the outbox: no attempt in flight.
    expect(sender.active()).toBe(0);
    expect((await store.get(record.id))!.nextAttemptAt).toBe(new Date(clock.now() + 1000).toISOString());

    clock.advance(250);
    await sender.stop();
    const ended = await sender.settled(record.id);

    expect(calls).toHaveLength(1);
    expect(ended.interruptedAt).toBe(new Date(clock.now()).toISOString());
    expect(ended.error).toBe('server stopped before attempt 2');
    expect(ended.status).toBe('pending');
    expect(sender.active()).toBe(0);
  });

  it('sends nothing for a delivery still queued for a request slot when stopped', async () => {
    const release = deferred<Response>();
    const { sender, send, calls } = setup([() => release.promise, reply(200)], { config: { concurrency: 1 } });
    const first = await send();
    const queued = await send();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toHaveLength(1);

    const stopped = sender.stop();
    release.resolve(reply(200));
    await stopped;
    const ended = await sender.settled(queued.id);

    expect((await sender.settled(first.id)).status).toBe('delivered');
    expect(calls).toHaveLength(1);
    expect(ended.attempts).toHaveLength(0);
    expect(ended.interruptedAt).toBeDefined();
    expect(ended.error).toBe('server stopped before attempt 1');
  });
});
