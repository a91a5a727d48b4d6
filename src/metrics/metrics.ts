import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type ReceiveOutcome = 'accepted' | 'duplicate' | 'rejected';

/** What the gauges read at scrape time. */
export interface GaugeSources {
  historyCounts(): Promise<{ readonly accepted: number; readonly rejected: number }>;
  /** Asynchronous: the delivery store's contract is (a networked database answers later). */
  pendingDeliveries(): number | Promise<number>;
  pendingProcessing(): number;
  /** COMMITs the storage has made (always 0 with memory); absent: none counted. */
  storageCommits?(): number;
}

/**
 * The counters the app updates, in the places that already log the same events. A small interface rather
 * than prom-client objects everywhere, so the sender and processor stay testable without a registry.
 */
export interface Metrics {
  /** A per-app registry (not prom-client's global one), so tests that build many apps do not collide. */
  readonly registry: Registry;
  received(scheme: string | null, outcome: ReceiveOutcome): void;
  /** A request refused on /webhook/receive, by its error code (`signature.mismatch`, `body.too_large`, ...). */
  verificationFailed(reason: string): void;
  rateLimited(): void;
  processed(outcome: 'done' | 'failed', durationMs: number): void;
  /** One delivery attempt: `2xx`..`5xx` by status class, `error` without a response, `forbidden` when refused. */
  attempt(outcome: string, durationMs: number): void;
  delivery(outcome: 'delivered' | 'failed'): void;
}

/** Does nothing: the default for collaborators built without metrics (their own unit tests). */
export const noMetrics: Omit<Metrics, 'registry'> = {
  received: () => undefined,
  verificationFailed: () => undefined,
  rateLimited: () => undefined,
  processed: () => undefined,
  attempt: () => undefined,
  delivery: () => undefined,
};

/** The status class of an attempt's response, or `error`. */
export function attemptOutcome(statusCode: number | undefined): string {
  return statusCode === undefined ? 'error' : `${Math.floor(statusCode / 100)}xx`;
}

/**
 * Counts kept as plain numbers per label combination and added to a prom-client counter when it is scraped
 * (its `collect`). Why: `Counter.inc(labels)` hashes the label object on every call (about 0.4 µs, measured),
 * on the receive path once per webhook; a scrape every few seconds does it once per combination.
 */
class PendingCounts<L extends string> {
  private readonly byKey = new Map<string, { readonly labels: Partial<Record<L, string>>; count: number }>();

  add(key: string, labels: () => Partial<Record<L, string>>): void {
    const slot = this.byKey.get(key);
    if (slot) slot.count += 1;
    else this.byKey.set(key, { labels: labels(), count: 1 });
  }

  /** Moves the counts into `counter`; the label combinations stay, at zero (there are few of them). */
  drainInto(counter: Counter<L>): void {
    for (const slot of this.byKey.values()) {
      if (slot.count === 0) continue;
      counter.inc(slot.labels, slot.count);
      slot.count = 0;
    }
  }
}

/** A counter whose increments are batched until a scrape (see PendingCounts). */
function batchedCounter<L extends string>(options: { name: string; help: string; labelNames?: readonly L[]; registers: Registry[] }): PendingCounts<L> {
  const pending = new PendingCounts<L>();
  new Counter<L>({
    ...options,
    collect() {
      pending.drainInto(this);
    },
  });
  return pending;
}

// Seconds, as Prometheus conventions ask: from 5 ms (a local handler) to 30 s (the default timeouts).
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(sources: () => GaugeSources): Metrics {
  const registry = new Registry();
  const registers = [registry];

  const received = batchedCounter({
    name: 'webhook_received_total',
    help: 'Requests to /webhook/receive by signature scheme (none when no signature header) and outcome.',
    labelNames: ['scheme', 'outcome'] as const,
    registers,
  });
  const verificationFailures = batchedCounter({
    name: 'webhook_verification_failures_total',
    help: 'Requests to /webhook/receive refused, by reason (the error code).',
    labelNames: ['reason'] as const,
    registers,
  });
  const rateLimited = batchedCounter({ name: 'webhook_rate_limited_total', help: 'Requests to /webhook/receive refused by RECEIVE_RATE_LIMIT.', registers });
  const processed = batchedCounter({
    name: 'webhook_processing_total',
    help: 'Received events whose handlers ran, by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const processingDuration = new Histogram({
    name: 'webhook_processing_duration_seconds',
    help: 'Time the handlers of one event took.',
    buckets: DURATION_BUCKETS,
    registers,
  });
  const deliveries = batchedCounter({
    name: 'webhook_deliveries_total',
    help: 'Sent webhooks that ended, by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const attempts = batchedCounter({
    name: 'webhook_delivery_attempts_total',
    help: 'Delivery attempts by outcome: the response status class, error (no response) or forbidden (destination refused).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const attemptDuration = new Histogram({
    name: 'webhook_delivery_attempt_duration_seconds',
    help: 'Time one delivery attempt took, until the first 1 KB of the response body was read, or the error.',
    buckets: DURATION_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'webhook_deliveries_pending',
    help: 'Deliveries not yet delivered or failed (attempting or waiting for a retry).',
    registers,
    async collect() {
      this.set(await sources().pendingDeliveries());
    },
  });
  new Gauge({
    name: 'webhook_processing_pending',
    help: 'Received events queued or running in the handlers.',
    registers,
    collect() {
      this.set(sources().pendingProcessing());
    },
  });
  let commitsSeen = 0;
  new Counter({
    name: 'webhook_storage_commits_total',
    help: 'COMMITs made by the SQLite store, each an fsync; the webhooks of one event-loop turn share one (group commit).',
    registers,
    collect() {
      const commits = sources().storageCommits?.() ?? 0;
      if (commits > commitsSeen) this.inc(commits - commitsSeen);
      commitsSeen = commits;
    },
  });
  new Gauge({
    name: 'webhook_history_entries',
    help: 'Entries kept in the history, by status.',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const counts = await sources().historyCounts();
      this.set({ status: 'accepted' }, counts.accepted);
      this.set({ status: 'rejected' }, counts.rejected);
    },
  });

  return {
    registry,
    received: (scheme, outcome) => received.add(`${scheme ?? 'none'} ${outcome}`, () => ({ scheme: scheme ?? 'none', outcome })),
    verificationFailed: (reason) => verificationFailures.add(reason, () => ({ reason })),
    rateLimited: () => rateLimited.add('', () => ({})),
    processed: (outcome, durationMs) => {
      processed.add(outcome, () => ({ outcome }));
      processingDuration.observe(durationMs / 1000);
    },
    attempt: (outcome, durationMs) => {
      attempts.add(outcome, () => ({ outcome }));
      attemptDuration.observe(durationMs / 1000);
    },
    delivery: (outcome) => deliveries.add(outcome, () => ({ outcome })),
  };
}
