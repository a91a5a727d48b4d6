import type { NewDelivery } from '../sender/envelope';
import type { RetryScheduleName } from '../sender/retry-policy';
import type { SendScheme } from '../sender/sign-headers';

/**
 * A customer's registered endpoint (SPEC.md section 7). Immutable: every change is a new object handed to the
 * store. Its secrets are not part of it: they live beside it in the store and are only read to sign or to be
 * shown once (`EndpointStore.secrets`).
 */
export interface Endpoint {
  readonly id: string;
  /** The customer it belongs to (Svix's application, Outpost's tenant): any id the caller chooses. */
  readonly appId: string;
  readonly url: string;
  readonly description: string;
  /** Event types it receives; empty means all; `invoice.*` matches every type starting with `invoice.`. */
  readonly eventTypes: readonly string[];
  readonly scheme: SendScheme;
  readonly enabled: boolean;
  /** Deliveries per second at most (first attempts); null: no limit. */
  readonly rateLimit: number | null;
  /** Extra headers on every delivery, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly retrySchedule: RetryScheduleName;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Why the server switched it off (the failure rule); null while enabled or when a caller disabled it. */
  readonly disabledReason: string | null;
  /** ISO 8601 of the last delivered / failed delivery; null before any. */
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
  /** The first failure after the last success (ISO 8601), and how many deliveries failed since: the disabling rule. */
  readonly failingSince: string | null;
  readonly failuresSinceSuccess: number;
}

/** The secrets of one endpoint: the current one, and during a rotation's grace the one before it. */
export interface EndpointSecrets {
  readonly current: string;
  readonly previous: string | null;
  /** Until when `previous` still signs, ms since the epoch. */
  readonly previousUntilMs: number | null;
}

export interface EndpointQuery {
  readonly appId?: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface EndpointPage {
  readonly items: readonly Endpoint[];
  readonly nextCursor: string | null;
}

/** One delivery of an event to an endpoint, as the fan-out planned it. */
export interface PlannedDelivery {
  readonly deliveryId: string;
  readonly endpointId: string;
}

/** An event posted to `POST /webhook/events`, with the deliveries it was fanned out to. */
export interface EventRecord {
  readonly appId: string;
  readonly eventId: string;
  readonly eventType: string;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly deliveries: readonly PlannedDelivery[];
}

/** A delivery as the endpoint's index knows it: for its stats and recovery without reading every record. */
export interface EndpointDelivery {
  readonly deliveryId: string;
  readonly eventId: string;
  /** When the event was fanned out, ms since the epoch. */
  readonly createdAtMs: number;
  readonly status: 'pending' | 'delivered' | 'failed';
  /** When it last ended, ms since the epoch; null while never ended. */
  readonly settledAtMs: number | null;
}

export interface Outcome {
  readonly deliveryId: string;
  readonly status: 'delivered' | 'failed';
  readonly atMs: number;
}

/**
 * The endpoint contract: endpoints, their secrets, the events fanned out to them, and an index of their
 * deliveries. Asynchronous, and each method one atomic unit (one statement or transaction), so every instance
 * sharing a database sees the same endpoints; memory, SQLite and PostgreSQL implement it (src/storage/memory,
 * sqlite, postgres), and tests/contract/endpoint-store.ts runs against each. A store writes into its own
 * backend's delivery outbox (`recordEvent`), so it is built beside that backend's delivery store.
 */
export interface EndpointStore {
  create(endpoint: Endpoint, secret: string): Promise<void>;
  get(id: string): Promise<Endpoint | undefined>;
  /** Oldest first by creation; `appId` filters. */
  list(query: EndpointQuery): Promise<EndpointPage>;
  /** Replaces an existing endpoint's fields (not its secrets or counters' history). False when it does not exist. */
  update(endpoint: Endpoint): Promise<boolean>;
  /** Removes the endpoint and its secrets; its deliveries stay in the delivery store. False when unknown. */
  delete(id: string): Promise<boolean>;
  secrets(id: string): Promise<EndpointSecrets | undefined>;
  /** The current secret becomes `previous` (signing until `previousUntilMs`); `secret` becomes current. */
  rotate(id: string, secret: string, previousUntilMs: number): Promise<boolean>;
  /** The enabled endpoints of a customer, every one of them (the fan-out filters by event type). */
  enabledFor(appId: string): Promise<Endpoint[]>;
  /**
   * Records an event, the deliveries planned for it (the endpoints' index) and those deliveries themselves in
   * the backend's delivery outbox (`outbox`: one per planned delivery, same ids), all in one transaction: a
   * failure keeps none of them, so a retried post finds no event and creates them again. Unless an event with
   * this id exists for this appId: then nothing is written and the existing one is returned (`created: false`).
   * First writer wins, decided by the store (a unique key), not by a read before the write.
   */
  recordEvent(event: EventRecord, outbox: readonly NewDelivery[]): Promise<{ readonly created: boolean; readonly event: EventRecord }>;
  getEvent(appId: string, eventId: string): Promise<EventRecord | undefined>;
  /**
   * A delivery of the endpoint ended: updates the index and the endpoint's counters (a success resets the
   * failure streak; a failure starts or extends it). Returns the endpoint as updated; undefined when gone.
   */
  recordOutcome(endpointId: string, outcome: Outcome): Promise<Endpoint | undefined>;
  /**
   * Reserves the next send slot of a rate-limited endpoint: the returned due time is `max(nowMs, next free
   * slot)`, and the slot after it is `intervalMs` later. Atomic, so concurrent fan-outs never share a slot.
   */
  reserveSlot(endpointId: string, nowMs: number, intervalMs: number): Promise<number>;
  /** The endpoint's deliveries created in `[sinceMs, untilMs)`, oldest first; `status` filters. */
  deliveries(endpointId: string, window: { readonly sinceMs: number; readonly untilMs: number; readonly status?: EndpointDelivery['status'] }): Promise<EndpointDelivery[]>;
  /** Deliveries of the endpoint that ended at or after `sinceMs`, by how they ended. */
  outcomeCounts(endpointId: string, sinceMs: number): Promise<{ readonly delivered: number; readonly failed: number }>;
}
