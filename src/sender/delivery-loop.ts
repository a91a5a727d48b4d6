import type { Logger } from 'pino';
import type { Now, Random, Sleep } from '../clock';
import type { SendConfig } from '../config';
import type { Metrics } from '../metrics/metrics';
import { attemptDelivery } from './attempt';
import { currentSeries, dueMs, type DeliveryContent, type DeliveryRecord, type DeliveryStore } from './delivery-store';
import { attemptTarget, type EndpointLookup } from './delivery-target';
import { backoffDelayMs, decide } from './retry-policy';
import type { SendScheme } from './sign-headers';
import { afterAttempt, finished, interrupted, postponed } from './transitions';
import type { Transport } from './transport';

/** The shortest wait before a delivery whose endpoint could not be read is tried again. */
export const POSTPONE_MIN_MS = 1000;

/**
 * How long a claim outlives its attempt's timeout: time to write the outcome. Past it, another worker may take
 * the delivery over (see `Lease`), so it must be longer than any store write takes.
 */
export const LEASE_MARGIN_MS = 30_000;

/** Why a resumed or retried delivery cannot be signed as its request asked. */
export const SECRET_UNAVAILABLE =
  'the per-request secret of this delivery cannot be recovered: it was sealed under a WEBHOOK_SECRET that is no longer configured';

export interface DeliveryLoopOptions {
  readonly transport: Transport;
  readonly sleep: Sleep;
  readonly now: Now;
  readonly random: Random;
  readonly logger: Logger;
  readonly store: DeliveryStore;
  readonly config: SendConfig;
  /** Unique per sender (an instance), made at the first claim: claim tokens are this plus a counter. */
  readonly instanceId: () => string;
  /** The secrets of a scheme, which a delivery without a per-request secret signs with; read at each attempt. */
  readonly secretsFor: (scheme: SendScheme) => readonly string[];
  /** The endpoint of a delivery with source `endpoint` (URL, headers, scheme, secrets), read at each attempt. */
  readonly endpointTarget?: EndpointLookup;
  readonly metrics: Pick<Metrics, 'attempt' | 'delivery'>;
  /** After every write of a record by the loop. */
  readonly onChange: (record: DeliveryRecord) => void;
  /** A delivery has ended, or was interrupted by `stop()`: whoever waits for it is answered. */
  readonly onSettled: (record: DeliveryRecord) => void;
}

/**
 * The delivery loop: one scheduler for every delivery. A delivery waiting for an attempt is a record with its due
 * time in the store; the loop claims what is due (at most `config.concurrency` attempts in flight), attempts
 * each once, records the outcome under the claim's token, and sleeps on one timer until the earliest due time,
 * woken sooner when something new is due or a request slot frees up. Nothing per waiting delivery lives here.
 */
export class DeliveryLoop {
  private readonly inFlight = new Map<string, Promise<void>>();
  private claiming: Promise<unknown> | undefined;
  /** Deliveries may be due in the store beyond what was claimed: new ones wait their turn behind them. */
  private backlog = false;
  private running = false;
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private timer: { readonly dueMs: number; readonly due: boolean; readonly controller: AbortController } | undefined;
  private claims = 0;
  private instance: string | undefined;
  private stopped = false;
  /**
   * The due time the timer last fired for. What was due then is due now, whatever the clock says: a timer may
   * fire a millisecond before `Date.now()` reaches its time, and an injected sleep may not move the clock at all.
   */
  private reachedMs = 0;

  constructor(private readonly options: DeliveryLoopOptions) {}

  /** Attempts in flight. */
  get active(): number {
    return this.inFlight.size;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  isAttempting(id: string): boolean {
    return this.inFlight.has(id);
  }

  /**
   * Stores a new delivery. With a free request slot and nobody ahead of it, it is stored already claimed and
   * attempted at once (no round trip through the outbox); else it waits in the store, due now. Resolves once
   * stored; rejects when it could not be.
   */
  async submit(record: DeliveryRecord, content: DeliveryContent): Promise<void> {
    const { store, now, config } = this.options;
    if (this.stopped) {
      await store.create(interrupted(record, now()), content);
      return;
    }
    // While a claim is being read, its slots are spoken for: a direct attempt now could exceed the concurrency.
    // A delivery due later (an endpoint's rate limit) waits in the outbox like a retry.
    if (dueMs(record) > now() || this.backlog || this.claiming !== undefined || this.inFlight.size >= config.concurrency) {
      await store.create(record, content);
      this.schedule();
      return;
    }
    const token = this.nextToken();
    const created = store.create(record, content, { token, leaseUntilMs: now() + record.timeoutMs + LEASE_MARGIN_MS });
    this.track(record.id, created.then(() => this.attemptClaimed(record, content, token), () => undefined));
    await created;
  }

  /** Something is due now (a new or retried delivery in the store): claim it when a slot is free. */
  schedule(): void {
    this.backlog = true;
    this.wake();
  }

  /** Runs the loop if it is not running, or has it look at the store again. */
  wake(): void {
    if (this.stopped) return;
    this.woken = true;
    if (!this.running) {
      this.running = true;
      void this.run();
      return;
    }
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  /**
   * Claims nothing more; lets the attempts in flight finish and records them; then marks the deliveries left
   * waiting as interrupted. Waits on the attempts' promises.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.controller.abort();
    this.timer = undefined;
    this.wakeUp?.();
    while (this.claiming !== undefined || this.inFlight.size > 0) await Promise.all([this.claiming, ...this.inFlight.values()]);
    await this.options.store.interruptWaiting(new Date(this.options.now()).toISOString());
  }

  private async run(): Promise<void> {
    const { store, now, config, logger } = this.options;
    try {
      while (!this.stopped) {
        this.woken = false;
        const free = config.concurrency - this.inFlight.size;
        if (free > 0) {
          const token = this.nextToken();
          const claim = store.claimDue({ nowMs: Math.max(now(), this.reachedMs), limit: free, token, leaseMarginMs: LEASE_MARGIN_MS });
          this.claiming = claim;
          const claimed = await claim.finally(() => (this.claiming = undefined));
          for (const { record, content } of claimed) this.track(record.id, this.attemptClaimed(record, content, token));
          if (claimed.length === free) continue;
          this.backlog = false;
          const next = await store.nextDueMs();
          // A shared store: look again within the poll interval, for what other instances added or left.
          const poll = store.pollIntervalMs === undefined ? null : Math.max(now(), this.reachedMs) + store.pollIntervalMs;
          const wakeAt = next === null ? poll : poll === null ? next : Math.min(next, poll);
          // Woken meanwhile: the next turn looks again (and arms the timer then).
          if (wakeAt !== null && !this.woken) this.arm(wakeAt, wakeAt === next);
        }
        if (!this.woken && !this.stopped) await new Promise<void>((resolve) => (this.wakeUp = resolve));
      }
    } catch (error) {
      // The store failed to claim or to say what is due: try again on the next wake (a send, a finished
      // attempt) or after a second.
      logger.error({ err: error }, 'delivery loop could not read the outbox; will try again');
      this.arm(now() + 1000);
    } finally {
      this.running = false;
    }
  }

  /**
   * One timer, for the earliest due time: kept when it already fires at or before `dueMs`. `due`: something is
   * due then (not merely a poll of a shared store), so what the timer finds due counts as reached.
   */
  private arm(dueMs: number, due = true): void {
    if (this.stopped || (this.timer && this.timer.dueMs <= dueMs)) return;
    this.timer?.controller.abort();
    const timer = { dueMs, due, controller: new AbortController() };
    this.timer = timer;
    this.options.sleep(Math.max(0, dueMs - this.options.now()), timer.controller.signal).then(
      () => {
        if (this.timer !== timer) return;
        this.timer = undefined;
        if (due) this.reachedMs = Math.max(this.reachedMs, dueMs);
        this.wake();
      },
      () => undefined, // aborted: a sooner timer replaced it, or the loop stopped
    );
  }

  private track(id: string, attempt: Promise<void>): void {
    const settled = attempt
      .catch((error: unknown) => this.options.logger.error({ deliveryId: id, err: error }, 'delivery attempt failed unexpectedly'))
      .finally(() => {
        this.inFlight.delete(id);
        this.wake();
      });
    this.inFlight.set(id, settled);
  }

  private nextToken(): string {
    this.claims += 1;
    this.instance ??= this.options.instanceId();
    return `${this.instance}:${this.claims}`;
  }

  /** Attempts a claimed delivery once and records the outcome under `token`. */
  private async attemptClaimed(record: DeliveryRecord, content: DeliveryContent | undefined, token: string): Promise<void> {
    const { now, random, config, logger, metrics } = this.options;
    if (this.stopped) return this.record(interrupted(record, now()), token);
    if (!content || content.secretUnavailable) {
      return this.record(finished(record, 'failed', content ? SECRET_UNAVAILABLE : 'the delivery body was not found', now()), token);
    }
    const series = currentSeries(record);
    const made = record.attempts.reduce((n, a) => (a.series === series ? n + 1 : n), 0);
    if (made >= record.maxAttempts) return this.record(finished(record, 'failed', `no attempts left (${record.maxAttempts} made)`, now()), token);
    let target;
    try {
      target = await attemptTarget(record, content, this.options);
    } catch (error) {
      // A store that cannot be read now (a database restarting) must not end the delivery: it stays pending,
      // due again after the first retry delay, and no attempt is counted, since none was made.
      logger.error({ deliveryId: record.id, err: error }, 'could not read the endpoint of a delivery; trying again later');
      // At least POSTPONE_MIN_MS: nothing counts postponements, so with SEND_BASE_DELAY_MS=0 a store that stays
      // unreadable would have the loop spin on this delivery (and log) without pause.
      const delayMs = Math.max(POSTPONE_MIN_MS, backoffDelayMs(1, config, random));
      return this.record(postponed(record, 'could not read the endpoint; trying again', now(), delayMs), token);
    }
    if ('failure' in target) return this.record(finished(record, 'failed', target.failure, now()), token);
    let outcome;
    try {
      outcome = await attemptDelivery({ transport: this.options.transport, now, metrics, record, target, number: record.attempts.length + 1, series });
    } catch (error) {
      // Not expected (the attempt catches its own errors): never leave the delivery claimed and silent.
      logger.error({ deliveryId: record.id, err: error }, 'delivery attempt failed');
      return this.record(finished(record, 'failed', 'internal error', now()), token);
    }
    const { attempt, result, forbidden } = outcome;
    const nowMs = now();
    logger[attempt.statusCode !== undefined && attempt.statusCode < 300 && attempt.statusCode >= 200 ? 'info' : 'warn'](
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
    const decision = forbidden
      ? ({ action: 'fail', reason: 'destination forbidden; not retried' } as const)
      : decide(result, made + 1, record.maxAttempts, config, random, nowMs, record.retrySchedule);
    let next = afterAttempt(record, attempt, decision, nowMs);
    if (forbidden) next = { ...next, error: 'destination forbidden; not retried' };
    if (next.status === 'pending' && this.stopped) next = interrupted(next, nowMs);
    return this.record(next, token);
  }

  /** Writes the outcome if the claim still holds, then tells who listens. */
  private async record(next: DeliveryRecord, token: string): Promise<void> {
    const { store, logger, metrics, onChange, onSettled } = this.options;
    if (!(await store.complete(next, token))) {
      logger.warn({ deliveryId: next.id, eventId: next.eventId }, 'delivery claim lost (lease expired): outcome not recorded');
      return;
    }
    onChange(next);
    if (next.status === 'pending') {
      if (next.interruptedAt === undefined) return;
      logger.warn({ deliveryId: next.id, eventId: next.eventId, nextAttemptAt: next.nextAttemptAt }, 'webhook delivery interrupted by shutdown');
      onSettled(next);
      return;
    }
    metrics.delivery(next.status);
    logger[next.status === 'delivered' ? 'info' : 'warn'](
      { deliveryId: next.id, eventId: next.eventId, eventType: next.eventType, outcome: next.status, attempts: next.attempts.length, error: next.error ?? undefined },
      next.status === 'delivered' ? 'webhook delivered' : 'webhook delivery failed',
    );
    onSettled(next);
  }
}
