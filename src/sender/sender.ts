import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { Now, Random, Sleep } from '../clock';
import type { SendConfig } from '../config';
import { ConflictError, NotFoundError } from '../errors';
import { attemptOutcome, noMetrics, type Metrics } from '../metrics/metrics';
import { DestinationForbiddenError } from '../security/destination';
import type { FetchLike } from '../security/guarded-fetch';
import { guardStorage } from '../errors';
import { USER_AGENT } from '../version';
import type { Attempt, DeliveryContent, DeliveryRecord, DeliverySource, DeliveryStore } from './delivery-store';
import { decide, type AttemptResult } from './retry-policy';
import { Semaphore } from './semaphore';
import { signatureHeaders, type SendScheme } from './sign-headers';

/** A response body this small (by its Content-Length) is read whole rather than streamed. */
const SMALL_RESPONSE_BYTES = 64 * 1024;

/** Bytes of a response body kept on the attempt record. */
export const RESPONSE_PREVIEW_BYTES = 1024;

// Defined beside the guarded fetch (the real one) so that security/ never imports sender/.
export type { FetchLike } from '../security/guarded-fetch';

export interface SenderOptions {
  /** Injectable for tests; the real one is the global `fetch`. */
  readonly fetch: FetchLike;
  readonly sleep: Sleep;
  readonly now: Now;
  readonly random: Random;
  readonly logger: Logger;
  readonly store: DeliveryStore;
  readonly config: SendConfig;
  readonly newId: (prefix: string) => string;
  /**
   * The configured secrets of a scheme (`WEBHOOK_SECRET` for native, `STANDARD_WEBHOOK_SECRET` for standard):
   * the first signs, all sign with `signAll`. Read at each attempt.
   */
  readonly secretsFor: (scheme: SendScheme) => readonly string[];
  /** Counts attempts and deliveries; none when absent. */
  readonly metrics?: Pick<Metrics, 'attempt' | 'delivery'>;
}

export interface SendRequest {
  readonly url: string;
  readonly eventType: string;
  readonly payload: unknown;
  readonly scheme: SendScheme;
  /** Sign with this secret instead of the configured ones. */
  readonly secret?: string;
  /** Put one signature per configured secret in the header, so receivers on an old secret keep working. */
  readonly signAll?: boolean;
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
  /** Reuse an event id (a replay); a new one is made otherwise. */
  readonly eventId?: string;
  /** Send these exact bytes instead of serializing `payload` (replaying a received body). */
  readonly body?: Buffer;
  /**
   * Extra headers on every attempt (a replay's original `Content-Type`, say). They may replace the default
   * `Content-Type` and `User-Agent`, never the signature headers.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Where the request comes from; `{kind: 'send'}` unless told. */
  readonly source?: DeliverySource;
}

export interface Sender {
  /** Records a pending delivery and starts its attempts in the background. */
  send(request: SendRequest): DeliveryRecord;
  /** Starts a new series of attempts for a delivery that has ended. 404 unknown, 409 still pending. */
  retry(id: string): DeliveryRecord;
  /** Resolves with the record once the delivery is no longer pending. */
  settled(id: string): Promise<DeliveryRecord>;
  /** Deliveries whose attempts are running or waiting. */
  active(): number;
  /** Stops waiting retries (marking them interrupted) and lets in-flight attempts finish. */
  stop(): Promise<void>;
  /**
   * Picks up the deliveries the store still holds as pending (the outbox after a restart), each at its
   * `nextAttemptAt`, same event id, attempt numbering going on. Returns how many were resumed.
   */
  resumePending(): number;
}

/** Why a resumed or retried delivery cannot be signed as its request asked. */
const SECRET_UNAVAILABLE =
  'the per-request secret of this delivery cannot be recovered: it was sealed under a WEBHOOK_SECRET that is no longer configured';

interface Job {
  readonly record: DeliveryRecord;
  readonly content: DeliveryContent;
  readonly settledWaiters: ((record: DeliveryRecord) => void)[];
}

/**
 * The connect-time guard's refusal, wherever fetch wrapped it (`TypeError: fetch failed` with a cause).
 * Walks `cause` duck-typed: undici's wrapper may come from another realm, where `instanceof Error` fails.
 */
function forbiddenCause(error: unknown): DestinationForbiddenError | undefined {
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    if (current instanceof DestinationForbiddenError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorMessage(error: unknown): string {
  // Duck-typed rather than `instanceof Error`: fetch's TimeoutError is a DOMException, and errors from
  // another realm (a VM context, Jest's sandbox) fail `instanceof` while being errors all the same.
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    const { name, message } = error as { name?: unknown; message: string };
    if (name === 'TimeoutError') return 'timed out';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    return detail ? `${message}: ${detail}` : message;
  }
  return String(error);
}

/** Reads at most `limit` bytes of a response body as text, then lets the rest go. */
async function readPreview(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  // Most receivers answer a few bytes with a Content-Length: read them whole, which is cheaper than a reader.
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared <= SMALL_RESPONSE_BYTES) return Buffer.from(await response.arrayBuffer()).subarray(0, limit).toString('utf8');
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/**
 * Delivers signed webhooks with retries. Each delivery serializes its body once; each attempt signs it
 * afresh with the current timestamp and the same event id. At most `config.concurrency` requests are in
 * flight at once; deliveries waiting for a retry hold no slot.
 */
export function createSender(options: SenderOptions): Sender {
  const { fetch, sleep, now, random, logger, store, config, newId, secretsFor } = options;
  const metrics = options.metrics ?? noMetrics;
  const slots = new Semaphore(config.concurrency);
  const jobs = new Map<string, Job>();
  const stopping = new AbortController();
  // Every delivery waiting for a retry listens to it: thousands of listeners are by design, not a leak.
  setMaxListeners(0, stopping.signal);
  const iso = (ms: number): string => new Date(ms).toISOString();

  function signingSecrets(content: DeliveryContent, scheme: SendScheme): readonly string[] {
    if (content.secret !== undefined) return [content.secret];
    const configured = secretsFor(scheme);
    return content.signAll ? configured : configured.slice(0, 1);
  }

  function settle(job: Job): void {
    for (const resolve of job.settledWaiters.splice(0)) resolve(job.record);
  }

  async function attemptOnce(
    job: Job,
    number: number,
    series: number,
  ): Promise<{ attempt: Attempt; result: AttemptResult; forbidden?: boolean } | undefined> {
    const { record } = job;
    await slots.acquire();
    const startedMs = now();
    try {
      // Stopped while waiting for a slot: no new request leaves after stop().
      if (stopping.signal.aborted) return undefined;
      const headers = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...job.content.headers,
        ...signatureHeaders({
          scheme: record.scheme,
          eventId: record.eventId,
          eventType: record.eventType,
          body: job.content.body,
          secrets: signingSecrets(job.content, record.scheme),
          timestampSeconds: Math.floor(startedMs / 1000),
        }),
      };
      const base = { number, series, startedAt: iso(startedMs) };
      // The per-attempt timeout, covering the response body too. Not AbortSignal.timeout: measured here it
      // cost about 10 % of a delivery's CPU more than a plain timer that is cleared once the attempt ends
      // (bench/send.js), and it aborts with the same TimeoutError.
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new DOMException(`The attempt timed out after ${record.timeoutMs} ms`, 'TimeoutError')),
        record.timeoutMs,
      );
      try {
        const response = await fetch(record.url, {
          method: 'POST',
          headers,
          body: job.content.body,
          redirect: 'manual',
          signal: timeout.signal,
        });
        const responseBody = await readPreview(response, RESPONSE_PREVIEW_BYTES).catch(() => '');
        metrics.attempt(attemptOutcome(response.status), now() - startedMs);
        return {
          attempt: { ...base, durationMs: now() - startedMs, statusCode: response.status, responseBody },
          result: { kind: 'response', status: response.status, retryAfter: response.headers.get('retry-after') },
        };
      } catch (error) {
        const durationMs = now() - startedMs;
        // Refused by the destination rules at connect time (DNS rebinding, a redirect): not worth a retry.
        const forbidden = forbiddenCause(error);
        metrics.attempt(forbidden ? 'forbidden' : 'error', durationMs);
        if (forbidden) return { attempt: { ...base, durationMs, error: `destination forbidden: ${forbidden.message}` }, result: { kind: 'error' }, forbidden: true };
        return { attempt: { ...base, durationMs, error: errorMessage(error) }, result: { kind: 'error' } };
      } finally {
        clearTimeout(timer);
      }
    } finally {
      slots.release();
    }
  }

  function finish(job: Job, status: 'delivered' | 'failed', error: string | null): void {
    const { record } = job;
    record.status = status;
    record.error = error;
    record.nextAttemptAt = null;
    record.updatedAt = iso(now());
    jobs.delete(record.id);
    store.save(record);
    metrics.delivery(status);
    logger[status === 'delivered' ? 'info' : 'warn'](
      { deliveryId: record.id, eventId: record.eventId, eventType: record.eventType, outcome: status, attempts: record.attempts.length, error: error ?? undefined },
      status === 'delivered' ? 'webhook delivered' : 'webhook delivery failed',
    );
    settle(job);
  }

  /** The server is stopping: the record keeps `pending` (a durable store resumes it at the next start) and says which attempt was left undone. */
  function interrupt(job: Job): void {
    const { record } = job;
    record.interruptedAt = iso(now());
    record.error = `server stopped before attempt ${record.attempts.length + 1}`;
    record.updatedAt = record.interruptedAt;
    jobs.delete(record.id);
    store.save(record);
    logger.warn({ deliveryId: record.id, eventId: record.eventId, nextAttemptAt: record.nextAttemptAt }, 'webhook delivery interrupted by shutdown');
    settle(job);
  }

  /** Waits `delayMs` before the next attempt. False when the server is stopping (the delivery is then interrupted). */
  async function waitForAttempt(job: Job, delayMs: number): Promise<boolean> {
    try {
      await sleep(delayMs, stopping.signal);
      return true;
    } catch {
      interrupt(job);
      return false;
    }
  }

  /** Attempts until delivered or failed; `delayMs` is the wait before the first attempt (a resumed delivery). */
  async function run(job: Job, series: number, delayMs = 0): Promise<void> {
    const { record } = job;
    if (delayMs > 0 && !(await waitForAttempt(job, delayMs))) return;
    // Attempts already made in this series count: a resumed delivery goes on where it stopped.
    for (let n = record.attempts.filter((a) => a.series === series).length + 1; ; n += 1) {
      if (n > record.maxAttempts) return finish(job, 'failed', `no attempts left (${record.maxAttempts} made)`);
      // The stored record keeps its nextAttemptAt until this attempt's outcome is saved: a crash mid-attempt
      // leaves the delivery due, and it is attempted again after the restart (at least once, same event id).
      record.nextAttemptAt = null;
      const outcome = await attemptOnce(job, record.attempts.length + 1, series);
      if (!outcome) return interrupt(job);
      const { attempt, result, forbidden } = outcome;
      record.attempts.push(attempt);
      record.updatedAt = iso(now());
      logger.info(
        {
          deliveryId: record.id,
          eventId: record.eventId,
          eventType: record.eventType,
          attempt: attempt.number,
          statusCode: attempt.statusCode,
          error: attempt.error,
          durationMs: attempt.durationMs,
        },
        'webhook attempt',
      );
      if (forbidden) return finish(job, 'failed', 'destination forbidden; not retried');
      const decision = decide(result, n, record.maxAttempts, config, random, now());
      if (decision.action === 'delivered') return finish(job, 'delivered', null);
      if (decision.action === 'fail') {
        const last = attempt.statusCode !== undefined ? `last status ${attempt.statusCode}` : `last error: ${attempt.error}`;
        return finish(job, 'failed', `${decision.reason} (${last})`);
      }
      record.nextAttemptAt = iso(now() + decision.delayMs);
      store.save(record);
      if (!(await waitForAttempt(job, decision.delayMs))) return;
    }
  }

  function launch(job: Job, series: number, delayMs = 0): void {
    jobs.set(job.record.id, job);
    run(job, series, delayMs).catch((error: unknown) => {
      // Not expected: attempts catch their own errors; a store that cannot be written can land here. Never
      // leave a delivery pending silently in this process; a durable store still has it pending for a restart.
      logger.error({ deliveryId: job.record.id, err: error }, 'delivery loop failed');
      try {
        finish(job, 'failed', 'internal error');
      } catch (saveError) {
        logger.error({ deliveryId: job.record.id, err: saveError }, 'could not record the failed delivery');
        jobs.delete(job.record.id);
        settle(job);
      }
    });
  }

  return {
    send(request) {
      const createdMs = now();
      const eventId = request.eventId ?? newId('evt');
      // Serialized once: every attempt sends the same bytes (only the signature headers change).
      const body =
        request.body ??
        Buffer.from(
          JSON.stringify(
            request.scheme === 'standard'
              ? { type: request.eventType, timestamp: iso(createdMs), data: request.payload }
              : request.payload,
          ),
        );
      const record: DeliveryRecord = {
        id: newId('dlv'),
        eventId,
        url: request.url,
        eventType: request.eventType,
        scheme: request.scheme,
        source: request.source ?? { kind: 'send' },
        status: 'pending',
        createdAt: iso(createdMs),
        updatedAt: iso(createdMs),
        maxAttempts: request.maxAttempts ?? config.maxAttempts,
        timeoutMs: request.timeoutMs ?? config.timeoutMs,
        attempts: [],
        // The schedule is stored with the record, before the first attempt: due now.
        nextAttemptAt: iso(createdMs),
        error: null,
      };
      const content: DeliveryContent = { body, secret: request.secret, signAll: request.signAll ?? false, headers: request.headers };
      guardStorage(() => store.create(record, content));
      logger.debug({ deliveryId: record.id, eventId, eventType: record.eventType, scheme: record.scheme }, 'webhook send queued');
      launch({ record, content, settledWaiters: [] }, 1);
      return record;
    },

    retry(id) {
      const record = store.get(id);
      const content = store.content(id);
      if (!record || !content) throw new NotFoundError(`No delivery with id ${JSON.stringify(id)}.`);
      if (record.status === 'pending' && jobs.has(id)) throw new ConflictError('delivery.pending', 'The delivery is still pending; retry it once it has ended.');
      if (content.secretUnavailable) throw new ConflictError('delivery.secret_unavailable', `Cannot retry: ${SECRET_UNAVAILABLE}.`);
      record.status = 'pending';
      record.error = null;
      delete record.interruptedAt;
      record.updatedAt = iso(now());
      record.nextAttemptAt = record.updatedAt;
      guardStorage(() => store.save(record));
      const series = (record.attempts[record.attempts.length - 1]?.series ?? 0) + 1;
      launch({ record, content, settledWaiters: [] }, series);
      return record;
    },

    settled(id) {
      const record = store.get(id);
      if (!record) return Promise.reject(new NotFoundError(`No delivery with id ${JSON.stringify(id)}.`));
      const job = jobs.get(id);
      if (!job) return Promise.resolve(record);
      return new Promise((resolve) => job.settledWaiters.push(resolve));
    },

    active: () => jobs.size,

    resumePending() {
      let resumed = 0;
      for (const record of store.pending()) {
        if (jobs.has(record.id)) continue;
        const content = store.content(record.id);
        const job: Job = { record, content: content ?? { body: Buffer.alloc(0), signAll: false }, settledWaiters: [] };
        if (!content || content.secretUnavailable) {
          jobs.set(record.id, job);
          finish(job, 'failed', content ? SECRET_UNAVAILABLE : 'the delivery body was not found');
          continue;
        }
        const dueMs = record.nextAttemptAt === null ? now() : Date.parse(record.nextAttemptAt);
        const delayMs = Math.max(0, dueMs - now());
        const series = record.attempts[record.attempts.length - 1]?.series ?? 1;
        delete record.interruptedAt;
        record.error = null;
        logger.info({ deliveryId: record.id, eventId: record.eventId, attempts: record.attempts.length, delayMs }, 'webhook delivery resumed');
        launch(job, series, delayMs);
        resumed += 1;
      }
      return resumed;
    },

    async stop() {
      stopping.abort();
      while (slots.inUse > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    },
  };
}
