import type { Logger } from 'pino';
import type { Now, Random, Sleep } from '../clock';
import type { SendConfig } from '../config';
import { ConflictError, NotFoundError, stored } from '../errors';
import { noMetrics, type Metrics } from '../metrics/metrics';
import { currentSeries, type DeliveryRecord, type DeliveryStore } from './delivery-store';
import { DeliveryLoop, SECRET_UNAVAILABLE } from './delivery-loop';
import type { EndpointLookup } from './delivery-target';
import { newDelivery, type NewDelivery, type SendRequest } from './envelope';
import { newSeries } from './transitions';
import type { FetchLike } from '../security/guarded-fetch';
import type { SendScheme } from './sign-headers';
import { fetchTransport, type Transport } from './transport';

// Defined beside the guarded fetch (the real one) so that security/ never imports sender/.
export type { FetchLike } from '../security/guarded-fetch';
export { RESPONSE_PREVIEW_BYTES } from './transport';
export type { SendRequest } from './envelope';

export interface SenderOptions {
  /** How attempts are sent when no `transport` is given: tests inject a fake fetch. */
  readonly fetch: FetchLike;
  /** How attempts are sent; `fetchTransport(fetch)` by default. The server passes undici's (transport.ts). */
  readonly transport?: Transport;
  /** The scheduler's one timer: waits until the earliest due time. */
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
  /**
   * The endpoint a delivery was fanned out to (source `endpoint`): its URL, extra headers, scheme and signing
   * secrets, read at each attempt so a PATCH or a rotation holds at once; undefined when the endpoint was
   * deleted (the delivery then fails). See delivery-target.ts.
   */
  readonly endpointTarget?: EndpointLookup;
  /** Counts attempts and deliveries; none when absent. */
  readonly metrics?: Pick<Metrics, 'attempt' | 'delivery'>;
  /**
   * Told of every change to a delivery record (created, attempted, ended, retried). The server streams
   * deliveries through the store instead (observed-delivery-store.ts); bench/pending-memory.js counts with it.
   */
  readonly onChange?: (record: DeliveryRecord) => void;
  /**
   * Told of each delivery `adopt` is handed: stored by another write than `store`'s own (an endpoint store
   * writes a fan-out's deliveries with its event), so `store`'s observer did not see it. The server publishes
   * it as that observer would have.
   */
  readonly onAdopted?: (record: DeliveryRecord) => void;
}

export interface Sender {
  /** Records a pending delivery (resolves once stored; 503 when it cannot be) and attempts it in the background. */
  send(request: SendRequest): Promise<DeliveryRecord>;
  /**
   * A new delivery as `send` would store it (ids, body serialized once, due time), not stored: for a caller
   * that stores it in a transaction of its own (a fan-out, with its event), then hands it to `adopt`.
   */
  prepare(request: SendRequest): NewDelivery;
  /** Deliveries `prepare`d and stored by the caller: tells who listens, and has them attempted when due. */
  adopt(records: readonly DeliveryRecord[]): void;
  /** Starts a new series of attempts for a delivery that has ended. 404 unknown, 409 still pending. */
  retry(id: string): Promise<DeliveryRecord>;
  /** Resolves with the record once the delivery is no longer pending (or the server stops first). */
  settled(id: string): Promise<DeliveryRecord>;
  /** Attempts in flight. */
  active(): number;
  /** Claims nothing more, lets in-flight attempts finish, marks waiting deliveries interrupted. */
  stop(): Promise<void>;
  /**
   * Starts working off the outbox after a restart: pending deliveries are attempted at their `nextAttemptAt`
   * (at once if it has passed), same event id, attempt numbering going on. Returns how many were pending.
   */
  resumePending(): Promise<number>;
}

/**
 * Delivers signed webhooks with retries. Each delivery serializes its body once (envelope.ts); each attempt
 * signs it afresh with the current timestamp and the same event id (attempt.ts); the delivery loop attempts
 * what is due in the store with at most `config.concurrency` requests in flight (delivery-loop.ts).
 */
export function createSender(options: SenderOptions): Sender {
  const { now, logger, store, config, newId } = options;
  const onChange = options.onChange ?? (() => undefined);
  /** Whoever waits for a delivery to settle (`?wait=true`), by delivery id. Only awaited deliveries have one. */
  const waiters = new Map<string, ((record: DeliveryRecord) => void)[]>();
  const settle = (record: DeliveryRecord): void => {
    const waiting = waiters.get(record.id);
    if (!waiting) return;
    waiters.delete(record.id);
    for (const resolve of waiting) resolve(record);
  };
  const loop = new DeliveryLoop({
    ...options,
    transport: options.transport ?? fetchTransport(options.fetch),
    metrics: options.metrics ?? noMetrics,
    instanceId: () => newId('clm'),
    onChange,
    onSettled: settle,
  });
  const iso = (ms: number): string => new Date(ms).toISOString();
  const waitsFor = (id: string, resolver: (record: DeliveryRecord) => void): boolean => waiters.get(id)?.includes(resolver) === true;

  /** Reads the record every `intervalMs` while `resolver` waits for it, and settles it once it has ended. */
  async function watchElsewhere(id: string, resolver: (record: DeliveryRecord) => void, intervalMs: number): Promise<void> {
    while (waitsFor(id, resolver) && !loop.isStopped) {
      await options.sleep(intervalMs);
      const record = await store.get(id).catch(() => undefined);
      if (record && record.status !== 'pending' && waitsFor(id, resolver)) settle(record);
    }
  }

  function prepare(request: SendRequest): NewDelivery {
    return newDelivery(request, { id: request.id ?? newId('dlv'), eventId: request.eventId ?? newId('evt') }, iso(now()), config);
  }

  return {
    async send(request) {
      const { record, content } = prepare(request);
      await stored(() => loop.submit(record, content));
      logger.debug({ deliveryId: record.id, eventId: record.eventId, eventType: record.eventType, scheme: record.scheme }, 'webhook send queued');
      onChange(record);
      return record;
    },

    prepare,

    adopt(records) {
      for (const record of records) {
        options.onAdopted?.(record);
        onChange(record);
      }
      // Waiting in the store, due now or at their rate-limit slot: the loop claims them like a retry.
      if (records.length > 0) loop.schedule();
    },

    async retry(id) {
      const [record, content] = await stored(() => Promise.all([store.get(id), store.content(id)]));
      if (!record || !content) throw new NotFoundError(`No delivery with id ${JSON.stringify(id)}.`);
      // A pending delivery is attempted by the loop in its time, unless the server stopped before (interrupted).
      const pending = (record.status === 'pending' && record.interruptedAt === undefined) || loop.isAttempting(id);
      if (pending) throw new ConflictError('delivery.pending', 'The delivery is still pending; retry it once it has ended.');
      if (content.secretUnavailable) throw new ConflictError('delivery.secret_unavailable', `Cannot retry: ${SECRET_UNAVAILABLE}.`);
      // Series 1 again for a delivery never attempted (interrupted before its first attempt), else the next one.
      const series = record.attempts.length === 0 && record.series === undefined ? 1 : currentSeries(record) + 1;
      const next = newSeries(record, series, now());
      if (!(await stored(() => store.save(next)))) throw new ConflictError('delivery.pending', 'The delivery is being attempted; retry it once it has ended.');
      onChange(next);
      loop.schedule();
      return next;
    },

    async settled(id) {
      let resolver!: (record: DeliveryRecord) => void;
      const waiting = new Promise<DeliveryRecord>((resolve) => (resolver = resolve));
      waiters.set(id, [...(waiters.get(id) ?? []), resolver]);
      // Registered before the read: an outcome recorded meanwhile is not missed.
      const record = await store.get(id);
      if (!record || record.status !== 'pending' || loop.isStopped) {
        const others = (waiters.get(id) ?? []).filter((r) => r !== resolver);
        if (others.length > 0) waiters.set(id, others);
        else waiters.delete(id);
        if (!record) throw new NotFoundError(`No delivery with id ${JSON.stringify(id)}.`);
        return record;
      }
      loop.wake();
      // A shared outbox: another instance may make the attempt that ends it, and this one is not told.
      if (store.pollIntervalMs !== undefined) void watchElsewhere(id, resolver, store.pollIntervalMs);
      return waiting;
    },

    active: () => loop.active,

    async resumePending() {
      loop.wake();
      const { pending } = await store.counts();
      const resumed = Math.max(0, pending - loop.active);
      if (resumed > 0) logger.info({ deliveries: resumed }, 'webhook deliveries resumed from the outbox');
      return resumed;
    },

    async stop() {
      await loop.stop();
      // Whoever still waits (a `?wait=true` request) is answered with the record as it was left.
      for (const id of [...waiters.keys()]) {
        const record = await store.get(id);
        if (record) settle(record);
      }
    },
  };
}
