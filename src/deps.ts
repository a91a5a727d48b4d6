import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { systemNow, systemRandom, realSleep, type Now, type Random, type Sleep } from './clock';
import type { Config } from './config';
import type { DedupeStore } from './dedupe/store';
import type { HistoryStore } from './history/store';
import { createProcessor, type Processor } from './processing/processor';
import { HandlerRegistry, logEvent } from './processing/registry';
import type { DeliveryStore } from './sender/delivery-store';
import { createSender, type FetchLike, type Sender } from './sender/sender';
import { createStorage, type Storage } from './storage/storage';

/** Everything the app needs, passed in: tests swap any part for a fake. */
export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly now: Now;
  readonly sleep: Sleep;
  readonly random: Random;
  /** A fresh unique id with a readable prefix: `evt_...`, `rej_...`, `dlv_...`. */
  readonly newId: (prefix: string) => string;
  readonly history: HistoryStore;
  readonly dedupe: DedupeStore;
  readonly registry: HandlerRegistry;
  readonly processor: Processor;
  /** Injectable for tests; the global `fetch` otherwise. */
  readonly fetch: FetchLike;
  readonly deliveries: DeliveryStore;
  readonly sender: Sender;
  /** The backend behind the default stores (`STORE`): transactions, expiry sweeps, closing. */
  readonly storage: Storage;
}

export type DepsOverrides = Partial<Omit<AppDeps, 'config' | 'logger'>>;

export const newUuidId = (prefix: string): string => `${prefix}_${randomUUID().replaceAll('-', '')}`;

/**
 * The real collaborators for a configuration. The default handler registry has one catch-all that logs
 * each event; register your own on `deps.registry` (see the README).
 */
export function createDeps(config: Config, logger: Logger, overrides: DepsOverrides = {}): AppDeps {
  const now = overrides.now ?? systemNow;
  // STORE=sqlite opens (and migrates) the database here; a StorageOpenError stops start-up.
  const storage = overrides.storage ?? createStorage(config);
  const history = overrides.history ?? storage.history;
  const registry = overrides.registry ?? new HandlerRegistry().onAny(logEvent);
  const sleep = overrides.sleep ?? realSleep;
  const random = overrides.random ?? systemRandom;
  const newId = overrides.newId ?? newUuidId;
  const fetchImpl = overrides.fetch ?? ((url, init) => fetch(url, init));
  const deliveries = overrides.deliveries ?? storage.deliveries;
  return {
    config,
    logger,
    now,
    sleep,
    random,
    newId,
    history,
    dedupe: overrides.dedupe ?? storage.dedupe,
    registry,
    processor:
      overrides.processor ??
      createProcessor({
        registry,
        history,
        logger,
        now,
        concurrency: config.processingConcurrency,
        timeoutMs: config.processingTimeoutMs,
      }),
    fetch: fetchImpl,
    deliveries,
    sender:
      overrides.sender ??
      createSender({
        fetch: fetchImpl,
        sleep,
        now,
        random,
        logger,
        store: deliveries,
        config: config.send,
        newId,
        secrets: () => config.secrets,
      }),
    storage,
  };
}
