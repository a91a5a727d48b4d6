import type { Logger } from 'pino';
import type { Now } from '../clock';
import type { EndpointsConfig } from '../config';
import { NotFoundError, stored } from '../errors';
import type { Metrics } from '../metrics/metrics';
import type { DestinationPolicy } from '../security/destination';
import type { DeliveryRecord } from '../sender/delivery-store';
import type { RetryScheduleName } from '../sender/retry-policy';
import type { SendScheme } from '../sender/sign-headers';
import type { Endpoint, EndpointPage, EndpointStore } from './endpoint-store';
import { disabledReason, shouldDisable } from './health';
import { newEndpointSecret, type RandomBytes } from './secrets';

/** What a caller sets on an endpoint; the rest (ids, times, counters) the service keeps. */
export interface EndpointInput {
  readonly url: string;
  readonly description: string;
  readonly eventTypes: readonly string[];
  readonly scheme: SendScheme;
  readonly enabled: boolean;
  readonly rateLimit: number | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly retrySchedule: RetryScheduleName;
}

export interface EndpointServiceOptions {
  readonly store: EndpointStore;
  readonly destinations: Pick<DestinationPolicy, 'check'>;
  readonly now: Now;
  readonly newId: (prefix: string) => string;
  readonly randomBytes: RandomBytes;
  readonly config: EndpointsConfig;
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'endpointDisabled'>;
}

export interface OutcomeCounts {
  readonly delivered: number;
  readonly failed: number;
  /** delivered / (delivered + failed), from 0 to 1; null when none ended in the window. */
  readonly successRate: number | null;
}

export interface EndpointStats {
  readonly lastHour: OutcomeCounts;
  readonly lastDay: OutcomeCounts;
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
}

const HOUR_MS = 3_600_000;

/**
 * Endpoints and their secrets: create, change, rotate, stats, and the failure rule applied to each outcome.
 * Routes call it; it calls the store's contract, never a backend.
 */
export class EndpointService {
  /** Outcomes being written, so tests and shutdown can wait for them (`idle`). */
  private readonly recording = new Set<Promise<void>>();

  constructor(private readonly options: EndpointServiceOptions) {}

  /** Resolves once every outcome handed to `deliveryChanged` so far has been recorded. */
  async idle(): Promise<void> {
    while (this.recording.size > 0) await Promise.allSettled(this.recording);
  }

  private iso(): string {
    return new Date(this.options.now()).toISOString();
  }

  /**
   * A new endpoint and its secret (the only time, with `secret()`, the secret is shown): `givenSecret` when the
   * caller brings one its receiver already has, else a new random one.
   */
  async create(appId: string, input: EndpointInput, givenSecret?: string): Promise<{ endpoint: Endpoint; secret: string }> {
    // SEND_ALLOWED_HOSTS / SEND_BLOCK_PRIVATE now; the guarded connection checks again at every delivery.
    await this.options.destinations.check(input.url);
    const at = this.iso();
    const endpoint: Endpoint = {
      id: this.options.newId('ep'),
      appId,
      ...input,
      createdAt: at,
      updatedAt: at,
      disabledReason: null,
      lastSuccessAt: null,
      lastFailureAt: null,
      failingSince: null,
      failuresSinceSuccess: 0,
    };
    const secret = givenSecret ?? newEndpointSecret(input.scheme, this.options.randomBytes);
    await stored(() => this.options.store.create(endpoint, secret));
    this.options.logger.info({ endpointId: endpoint.id, appId }, 'endpoint created');
    return { endpoint, secret };
  }

  async get(id: string): Promise<Endpoint> {
    const endpoint = await stored(() => this.options.store.get(id));
    if (!endpoint) throw new NotFoundError(`No endpoint with id ${JSON.stringify(id)}.`);
    return endpoint;
  }

  list(query: { appId?: string; limit: number; cursor?: string }): Promise<EndpointPage> {
    return stored(() => this.options.store.list(query));
  }

  /**
   * Changes the fields given. Enabling an endpoint again starts its failure streak afresh, so the rule does not
   * switch it off at its next failure. A changed scheme keeps the secret: re-create the endpoint for the other form.
   */
  async update(id: string, changes: Partial<EndpointInput>): Promise<Endpoint> {
    const current = await this.get(id);
    if (changes.url !== undefined && changes.url !== current.url) await this.options.destinations.check(changes.url);
    const reenabled = changes.enabled === true && !current.enabled;
    const next: Endpoint = {
      ...current,
      ...changes,
      ...(changes.enabled !== undefined ? { disabledReason: null } : {}),
      ...(reenabled ? { failingSince: null, failuresSinceSuccess: 0 } : {}),
      updatedAt: this.iso(),
    };
    if (!(await stored(() => this.options.store.update(next)))) throw new NotFoundError(`No endpoint with id ${JSON.stringify(id)}.`);
    return next;
  }

  async delete(id: string): Promise<void> {
    if (!(await stored(() => this.options.store.delete(id)))) throw new NotFoundError(`No endpoint with id ${JSON.stringify(id)}.`);
    this.options.logger.info({ endpointId: id }, 'endpoint deleted');
  }

  /** The current secret, and while a rotation's grace lasts the previous one with when it stops signing. */
  async secret(id: string): Promise<{ secret: string; previousSecretUntil: string | null }> {
    const secrets = await stored(() => this.options.store.secrets(id));
    if (!secrets) throw new NotFoundError(`No endpoint with id ${JSON.stringify(id)}.`);
    const inGrace = secrets.previousUntilMs !== null && this.options.now() < secrets.previousUntilMs;
    return { secret: secrets.current, previousSecretUntil: inGrace ? new Date(secrets.previousUntilMs!).toISOString() : null };
  }

  /** A new secret; the old one keeps signing beside it for ENDPOINT_SECRET_GRACE_HOURS. */
  async rotate(id: string): Promise<{ secret: string; previousSecretUntil: string }> {
    const endpoint = await this.get(id);
    const secret = newEndpointSecret(endpoint.scheme, this.options.randomBytes);
    const untilMs = this.options.now() + this.options.config.secretGraceMs;
    if (!(await stored(() => this.options.store.rotate(id, secret, untilMs)))) throw new NotFoundError(`No endpoint with id ${JSON.stringify(id)}.`);
    this.options.logger.info({ endpointId: id, previousSecretUntil: new Date(untilMs).toISOString() }, 'endpoint secret rotated');
    return { secret, previousSecretUntil: new Date(untilMs).toISOString() };
  }

  async stats(id: string): Promise<EndpointStats> {
    const endpoint = await this.get(id);
    const nowMs = this.options.now();
    const counts = async (sinceMs: number): Promise<OutcomeCounts> => {
      const { delivered, failed } = await stored(() => this.options.store.outcomeCounts(id, sinceMs));
      return { delivered, failed, successRate: delivered + failed === 0 ? null : delivered / (delivered + failed) };
    };
    return {
      lastHour: await counts(nowMs - HOUR_MS),
      lastDay: await counts(nowMs - 24 * HOUR_MS),
      lastSuccessAt: endpoint.lastSuccessAt,
      lastFailureAt: endpoint.lastFailureAt,
    };
  }

  /**
   * A delivery record changed (the delivery store's observer): when a fan-out delivery has ended, the outcome
   * goes to the endpoint's counters, and the failure rule may switch the endpoint off.
   */
  deliveryChanged(record: DeliveryRecord): Promise<void> {
    const endpointId = record.source?.kind === 'endpoint' ? record.source.endpointId : undefined;
    if (endpointId === undefined || record.status === 'pending') return Promise.resolve();
    const recorded = this.recordOutcome(endpointId, record, record.status);
    this.recording.add(recorded);
    void recorded.catch(() => undefined).finally(() => this.recording.delete(recorded));
    return recorded;
  }

  private async recordOutcome(endpointId: string, record: DeliveryRecord, status: 'delivered' | 'failed'): Promise<void> {
    const atMs = Date.parse(record.updatedAt);
    const endpoint = await this.options.store.recordOutcome(endpointId, { deliveryId: record.id, status, atMs });
    if (!endpoint || !shouldDisable(endpoint, atMs, this.options.config.disableAfterMs)) return;
    const reason = disabledReason(endpoint);
    await this.options.store.update({ ...endpoint, enabled: false, disabledReason: reason, updatedAt: new Date(atMs).toISOString() });
    this.options.metrics.endpointDisabled();
    this.options.logger.warn({ endpointId, appId: endpoint.appId, failures: endpoint.failuresSinceSuccess, failingSince: endpoint.failingSince }, 'endpoint disabled: its deliveries keep failing');
  }
}
