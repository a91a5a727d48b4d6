import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { systemNow, systemRandom, systemTimers, realSleep, type Now, type Random, type Sleep, type Timers } from './clock';
import type { Config } from './config';
import type { DedupeStore } from './dedupe/store';
import { createHistoryFeed, type HistoryFeed } from './history/feed';
import { ObservedHistoryStore } from './history/observed-store';
import { RawBodyCache, type RawBodyStore } from './history/raw-body-cache';
import type { HistoryStore } from './history/store';
import { createProcessor, type Processor } from './processing/processor';
import { registerHandlers } from './handlers';
import { HandlerRegistry } from './processing/registry';
import type { DeliveryRecord, DeliveryStore } from './sender/delivery-store';
import { startForwarding } from './sender/forward';
import { observeDeliveries } from './sender/observed-delivery-store';
import { createSender, type FetchLike, type Sender } from './sender/sender';
import { undiciTransport } from './sender/transport';
import { requestIp, type ClientAddress } from './middleware/auth';
import { createMetrics, type Metrics } from './metrics/metrics';
import type { EventLoopDelay } from './health/event-loop';
import { createGuardedFetch } from './security/guarded-fetch';
import { createDestinationPolicy, systemLookup, type DestinationPolicy, type LookupFn } from './security/destination';
import { ResponseRules } from './mocking/response-rules';
import { createStorage } from './storage/create-storage';
import { EndpointService } from './endpoints/endpoint-service';
import type { EndpointStore } from './endpoints/endpoint-store';
import { RecoveryJobs } from './endpoints/recovery';
import { endpointLookup, type RandomBytes } from './endpoints/secrets';
import type { Storage } from './storage/storage';

/** Everything the app needs, passed in: tests swap any part for a fake. */
export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly now: Now;
  readonly sleep: Sleep;
  readonly random: Random;
  /** The processor's timeouts; tests pass timers they move with their clock. */
  readonly timers: Timers;
  /** A fresh unique id with a readable prefix: `evt_...`, `rej_...`, `dlv_...`. */
  readonly newId: (prefix: string) => string;
  readonly history: HistoryStore;
  readonly dedupe: DedupeStore;
  readonly registry: HandlerRegistry;
  readonly processor: Processor;
  /** Injectable for tests; otherwise undici's fetch through the destination guard (security/guarded-fetch.ts). */
  readonly fetch: FetchLike;
  /** Closes the sender's pooled connections at shutdown (nothing to close for an injected fetch). */
  readonly closeFetch: () => Promise<void>;
  readonly deliveries: DeliveryStore;
  readonly sender: Sender;
  /** The address a request comes from, for access control and rate limits; `req.ip` unless a test injects one. */
  readonly clientAddress: ClientAddress;
  /** Resolves host names for the destination rules and the sender's connections; injectable for tests. */
  readonly lookup: LookupFn;
  /** `SEND_ALLOWED_HOSTS` and `SEND_BLOCK_PRIVATE`, checked when a send is requested. */
  readonly destinations: DestinationPolicy;
  readonly metrics: Metrics;
  /** When this app was built, in ms since the epoch: /healthz's uptime. */
  readonly startedAtMs: number;
  /** Event-loop delay for /healthz; server.ts passes a real monitor, absent means null. */
  readonly eventLoop?: () => EventLoopDelay;
  /** Every change to the history, as it happens: the live stream and FORWARD_URL listen to it. */
  readonly feed: HistoryFeed;
  /** The exact bytes of recent accepted webhooks, for replay and forwarding. */
  readonly rawBodies: RawBodyStore;
  /** Provider mode (SPEC.md section 7): endpoints, their secrets, events and their deliveries' index. */
  readonly endpointStore: EndpointStore;
  readonly endpoints: EndpointService;
  readonly recoveries: RecoveryJobs;
  /** Random bytes for endpoint secrets; tests may pass a fake. */
  readonly randomBytes: RandomBytes;
  /** The backend behind the default stores (`STORE`): transactions, expiry sweeps, closing. */
  readonly storage: Storage;
  /** Mock answers of /webhook/receive (POST /webhook/response-rules), in memory. */
  readonly responseRules: ResponseRules;
}

export type DepsOverrides = Partial<Omit<AppDeps, 'config' | 'logger' | 'closeFetch'>>;

/**
 * `join` builds one flat string. A template around `replaceAll`'s result is a rope of strings instead: held as a
 * Map key (the delivery outbox, the history) it costs about 280 B of heap against 90 (bench/pending-memory.js).
 */
export const newUuidId = (prefix: string): string => [prefix, '_', randomUUID().replaceAll('-', '')].join('');

/**
 * The real collaborators for a configuration. Handlers come from `src/handlers.ts` unless a registry is
 * passed in.
 */
export function createDeps(config: Config, logger: Logger, overrides: DepsOverrides = {}): AppDeps {
  const now = overrides.now ?? systemNow;
  // STORE=sqlite opens (and migrates) the database here; a StorageOpenError stops start-up.
  const storage = overrides.storage ?? createStorage(config);
  const history = overrides.history ?? storage.history;
  const registry = overrides.registry ?? registerHandlers(new HandlerRegistry());
  // Every write to the history is published to the feed after the store has made it (see observed-store.ts).
  const feed = overrides.feed ?? createHistoryFeed({ onError: (err: unknown) => logger.error({ err }, 'history feed subscriber failed') });
  // Published once the write is durable: with SQLite's group commit, after the batch's COMMIT.
  const observedHistory = new ObservedHistoryStore(history, feed, (err: unknown) => logger.error({ err }, 'history feed publication failed'));
  // No more bodies than accepted entries: a body is only ever read through its entry (raw-body-cache.ts).
  const rawBodies = overrides.rawBodies ?? new RawBodyCache(config.rawBodyCacheBytes, config.historyLimit);
  const sleep = overrides.sleep ?? realSleep;
  const timers = overrides.timers ?? systemTimers;
  const random = overrides.random ?? systemRandom;
  const newId = overrides.newId ?? newUuidId;
  const endpointStore = overrides.endpointStore ?? storage.endpoints;
  // Bound below, once the sender exists: the outcome of a fan-out delivery moves its endpoint's counters.
  const late: { endpoints?: EndpointService } = {};
  // Every delivery write is published to the feed too: the page streams deliveries as it streams the history.
  const announce = (record: DeliveryRecord): void => {
    feed.publish('delivery', null, record);
    late.endpoints?.deliveryChanged(record).catch((err: unknown) => logger.error({ err, deliveryId: record.id }, 'endpoint outcome not recorded'));
  };
  const deliveries = observeDeliveries(overrides.deliveries ?? storage.deliveries, announce);
  const rules = { allowedHosts: config.security.sendAllowedHosts, blockPrivate: config.security.sendBlockPrivate };
  const lookup = overrides.lookup ?? systemLookup;
  // Every connection the sender opens is checked against the destination rules at connect time.
  const guarded = overrides.fetch ? undefined : createGuardedFetch(rules, lookup);
  const fetchImpl = overrides.fetch ?? guarded!.fetch;
  // Gauges read the stores at scrape time, hence the late-bound sources.
  const metrics: Metrics =
    overrides.metrics ??
    createMetrics(() => ({
      historyCounts: () => history.counts(),
      pendingDeliveries: async () => (await deliveries.counts()).pending,
      pendingProcessing: () => processor.pending(),
      storageCommits: () => storage.commits,
    }));
  const processor: Processor =
    overrides.processor ??
    createProcessor({
      registry,
      history: observedHistory,
      logger,
      now,
      concurrency: config.processingConcurrency,
      timeoutMs: config.processingTimeoutMs,
      timers,
      metrics,
    });
  const core: Omit<AppDeps, 'endpoints' | 'recoveries'> = {
    config,
    logger,
    now,
    sleep,
    random,
    timers,
    newId,
    history: observedHistory,
    dedupe: overrides.dedupe ?? storage.dedupe,
    registry,
    processor,
    fetch: fetchImpl,
    closeFetch: async () => guarded?.close(),
    deliveries,
    sender:
      overrides.sender ??
      createSender({
        fetch: fetchImpl,
        // The guarded pool through undici's request: far cheaper per attempt than fetch (sender/transport.ts).
        transport: guarded ? undiciTransport(guarded.dispatcher) : undefined,
        sleep,
        now,
        random,
        logger,
        store: deliveries,
        config: config.send,
        newId,
        secretsFor: (scheme) => config.schemeSecrets[scheme],
        // Read at every attempt: a PATCH of the URL, headers or scheme holds from the next attempt on (a retry, a
        // recovery), and a rotation signs with both secrets at once and drops the old after the grace.
        endpointTarget: endpointLookup(endpointStore, now),
        // A fan-out's deliveries are written by the endpoint store with their event, past the observed store.
        onAdopted: announce,
        metrics,
      }),
    clientAddress: overrides.clientAddress ?? requestIp,
    lookup,
    destinations: overrides.destinations ?? createDestinationPolicy(rules, lookup),
    metrics,
    startedAtMs: overrides.startedAtMs ?? now(),
    eventLoop: overrides.eventLoop,
    feed,
    rawBodies,
    storage,
    endpointStore,
    randomBytes: overrides.randomBytes ?? randomBytes,
    responseRules: overrides.responseRules ?? new ResponseRules(newId, now),
  };
  const endpoints =
    overrides.endpoints ??
    new EndpointService({
      store: endpointStore,
      destinations: core.destinations,
      now,
      newId,
      randomBytes: core.randomBytes,
      config: config.endpoints,
      logger,
      metrics,
    });
  late.endpoints = endpoints;
  const recoveries = overrides.recoveries ?? new RecoveryJobs({ store: endpointStore, jobs: storage.recoveries, sender: core.sender, now, newId, logger });
  const deps: AppDeps = { ...core, endpoints, recoveries };
  if (config.forwardUrl !== '') {
    startForwarding({ url: config.forwardUrl, secret: config.forwardSecret || undefined, feed, rawBodies, sender: deps.sender, logger });
  }
  return deps;
}
