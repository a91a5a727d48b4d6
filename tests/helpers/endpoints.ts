import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import type { Logger } from 'pino';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { createApp } from '../../src/app';
import type { Sleep } from '../../src/clock';
import type { AppDeps } from '../../src/deps';
import type { FetchLike } from '../../src/sender/sender';
import { fakeClock, makeDeps } from './deps';
import { recordingSleep, reply, type FetchCall } from './send-fakes';

/** Where an endpoint test keeps its data: memory, or a real SQLite file in a fresh folder. */
export type Backend = 'memory' | 'sqlite';

/**
 * A fetch standing in for every customer's receiver: it records each call and answers with what `answer`
 * says for it (200 unless told).
 */
export function sinkFetch(answer: (call: FetchCall) => number = () => 200): { fetch: FetchLike; calls: FetchCall[] } {
  const calls: FetchCall[] = [];
  const fetch: FetchLike = async (url, init) => {
    const call: FetchCall = { url, init, headers: new Headers(init.headers as Record<string, string>), body: Buffer.from(init.body as Buffer) };
    calls.push(call);
    return reply(answer(call));
  };
  return { fetch, calls };
}

export interface ProviderApp {
  readonly app: Express;
  readonly deps: AppDeps;
  readonly clock: ReturnType<typeof fakeClock>;
  readonly calls: FetchCall[];
  /** Creates an endpoint over HTTP; returns its body (`{endpoint, secret}`). */
  createEndpoint(body: Record<string, unknown>): Promise<{ endpoint: { id: string } & Record<string, unknown>; secret: string }>;
  /** Posts an event and waits until each of its deliveries has ended. */
  publish(body: Record<string, unknown>): Promise<request.Response>;
  /** Lets the outcome observers (the endpoint counters) catch up with the deliveries that ended. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * An app whose sender talks to a sink, on a fake clock that the delivery loop's sleeps move, with sequential
 * ids and fixed randomness, on the chosen backend.
 */
export function providerApp(
  options: {
    backend?: Backend;
    env?: Record<string, string>;
    answer?: (call: FetchCall) => number;
    startMs?: number;
    sleep?: (clock: ReturnType<typeof fakeClock>) => Sleep;
    logger?: Logger;
  } = {},
): ProviderApp {
  const clock = fakeClock(options.startMs);
  const sink = sinkFetch(options.answer);
  let ids = 0;
  let bytes = 0;
  let dir: string | undefined;
  const env: Record<string, string> = { ...options.env };
  if (options.backend === 'sqlite') {
    dir = mkdtempSync(path.join(tmpdir(), 'endpoints-'));
    Object.assign(env, { STORE: 'sqlite', SQLITE_PATH: path.join(dir, 'webhooks.db') });
  }
  const deps = makeDeps({
    env,
    logger: options.logger,
    fetch: sink.fetch,
    sleep: options.sleep ? options.sleep(clock) : recordingSleep(clock.advance).sleep,
    now: clock.now,
    random: () => 0.5,
    newId: (prefix) => `${prefix}_${String((ids += 1)).padStart(4, '0')}`,
    // Distinct, known secrets: byte n of secret k is k.
    randomBytes: (size) => Buffer.alloc(size, (bytes += 1)),
  });
  const app = createApp(deps);
  // The endpoint counters are written after the delivery's outcome: wait for those writes too.
  const settle = (): Promise<void> => deps.endpoints.idle();
  return {
    app,
    deps,
    clock,
    calls: sink.calls,
    async createEndpoint(body) {
      const res = await request(app).post('/webhook/endpoints').send(body);
      if (res.status !== 201) throw new Error(`create endpoint: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async publish(body) {
      const res = await request(app).post('/webhook/events').send(body);
      for (const d of (res.body.deliveries ?? []) as { deliveryId: string }[]) await deps.sender.settled(d.deliveryId);
      await settle();
      return res;
    },
    settle,
    async close() {
      await deps.sender.stop();
      deps.storage.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Verifies a native delivery the way a receiver would: HMAC-SHA256 of `<timestamp>.<body>`, any of the signatures. */
export function nativeVerifies(secret: string, call: FetchCall): boolean {
  const timestamp = call.headers.get('x-webhook-timestamp');
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(call.body).digest('hex')}`;
  return (call.headers.get('x-webhook-signature') ?? '').split(',').includes(expected);
}

/** Verifies a standard delivery with the Standard Webhooks reference library, at the time the attempt was signed. */
export function standardVerifies(secret: string, call: FetchCall): boolean {
  const signedAtMs = Number(call.headers.get('webhook-timestamp')) * 1000;
  const realNow = Date.now;
  // The library checks the timestamp against Date.now(); the attempt was signed on the test's fake clock.
  Date.now = () => signedAtMs;
  try {
    new Webhook(secret).verify(call.body.toString('utf8'), Object.fromEntries(call.headers.entries()));
    return true;
  } catch {
    return false;
  } finally {
    Date.now = realNow;
  }
}

/**
 * A sleep the test releases by hand: `release()` moves the clock to the earliest waiting sleep's end and
 * resolves it. Nothing waits unless the test says so.
 */
export function heldSleep(): { factory: (clock: ReturnType<typeof fakeClock>) => Sleep; release: () => boolean } {
  let clockRef: ReturnType<typeof fakeClock> | undefined;
  const waiting: { atMs: number; resolve: () => void }[] = [];
  const factory = (clock: ReturnType<typeof fakeClock>): Sleep => {
    clockRef = clock;
    return (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const entry = { atMs: clock.now() + ms, resolve };
        waiting.push(entry);
        signal?.addEventListener('abort', () => {
          waiting.splice(waiting.indexOf(entry), 1);
          reject(signal.reason);
        });
      });
  };
  const release = (): boolean => {
    waiting.sort((a, b) => a.atMs - b.atMs);
    const next = waiting.shift();
    if (!next) return false;
    clockRef!.set(Math.max(clockRef!.now(), next.atMs));
    next.resolve();
    return true;
  };
  return { factory, release };
}

/**
 * Makes the endpoint store's secret lookup (read at every attempt) throw `times` times, as a restarting database
 * would, then read normally again. `remaining()` is how many failures are still to come.
 */
export function failSecretReads(store: AppDeps['endpointStore'], times: number): { remaining: () => number } {
  const secrets = store.secrets.bind(store);
  let failures = times;
  store.secrets = async (id) => {
    if (failures > 0) {
      failures -= 1;
      throw new Error('database restarting');
    }
    return secrets(id);
  };
  return { remaining: () => failures };
}
