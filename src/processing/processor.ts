import type { Logger } from 'pino';
import { systemTimers, type Now, type Timers } from '../clock';
import { Deque } from '../collections/deque';
import { noMetrics, type Metrics } from '../metrics/metrics';
import { logEvent, type EventHandler, type HandlerRegistry, type WebhookEvent } from './registry';
import type { ProcessingState, ProcessingStore } from './store';

export interface ProcessorOptions {
  readonly registry: HandlerRegistry;
  /** Where outcomes are recorded: the history. */
  readonly history: ProcessingStore;
  readonly logger: Logger;
  readonly now: Now;
  /** Events processed at once. */
  readonly concurrency: number;
  /** Per-event limit on all of its handlers together, in ms. */
  readonly timeoutMs: number;
  /** Where the timeout is set: real timers unless a test passes its own, moved with its clock. */
  readonly timers?: Timers;
  /** Counts outcomes and durations; none when absent. */
  readonly metrics?: Pick<Metrics, 'processed'>;
}

export interface Processor {
  /** Queues an event; its handlers run later, never on the caller's stack. */
  enqueue(event: WebhookEvent): void;
  /**
   * The state to store an event of this type with when none of its handlers would do anything (the default
   * catch-all only logs at debug level, below the configured one): `done`, and the event need not be queued
   * (the caller counts it as processed once it is stored). Undefined when a handler would run: store it `pending` and `enqueue` it.
   * Optional, so that a processor passed in by a test need not have it.
   */
  doneAtOnce?(eventType: string | null): ProcessingState | undefined;
  /** Events queued or running. */
  pending(): number;
  /** Resolves once nothing is queued or running. */
  onIdle(): Promise<void>;
}

class HandlerTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`handler timed out after ${timeoutMs} ms`);
    this.name = 'HandlerTimeout';
  }
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<void>).then === 'function';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/**
 * A FIFO queue that runs each event's handlers after the response, at most `concurrency` events at once.
 * A handler that throws marks its entry failed; one that hangs is abandoned at the timeout (its signal
 * aborts) and frees its slot, so neither can stall the queue or the server.
 */
export function createProcessor(options: ProcessorOptions): Processor {
  const { registry, history, logger, now, concurrency, timeoutMs } = options;
  const timers = options.timers ?? systemTimers;
  const metrics = options.metrics ?? noMetrics;
  const queue = new Deque<WebhookEvent>();
  let running = 0;
  let idleWaiters: (() => void)[] = [];
  let pumpScheduled = false;

  const settleIdle = (): void => {
    if (running > 0 || queue.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  /**
   * Runs the event's handlers in order. Synchronous handlers cost neither a timer nor a promise: the event
   * completes on the spot, and `run` returns undefined. Only when a handler returns a promise does the rest
   * go asynchronous, under the timeout (a timer, an AbortController, a race), since only then can there be
   * something to cut off. Returns the promise of that asynchronous rest, if any.
   */
  function run(event: WebhookEvent): Promise<void> | undefined {
    const startedAt = now();
    const handlers = registry.handlersFor(event.eventType);
    let controller: AbortController | undefined;
    let timer: unknown;
    let deadline: Promise<never> | undefined;
    const context = {
      logger,
      get signal(): AbortSignal {
        return (controller ??= new AbortController()).signal;
      },
    };
    const timeout = (): Promise<never> => {
      if (!deadline) {
        deadline = new Promise<never>((_, reject) => {
          timer = timers.setTimeout(() => {
            const error = new HandlerTimeout(timeoutMs);
            (controller ??= new AbortController()).abort(error);
            reject(error);
          }, Math.max(0, timeoutMs - (now() - startedAt)));
        });
        deadline.catch(() => undefined); // raced below; never an unhandled rejection between two handlers
      }
      return deadline;
    };
    const succeed = (): void => {
      const durationMs = now() - startedAt;
      record(event, { state: 'done', durationMs });
      metrics.processed('done', durationMs);
    };
    const fail = (error: unknown): void => {
      const message = describe(error);
      const durationMs = now() - startedAt;
      record(event, { state: 'failed', error: message, durationMs });
      metrics.processed('failed', durationMs);
      logger.warn({ eventId: event.id, eventType: event.eventType, error: message }, 'webhook processing failed');
    };
    // A handler that gives up when its signal aborts may settle before the deadline rejects: still a timeout.
    const raceDeadline = async (pending: PromiseLike<void>): Promise<void> => {
      await Promise.race([pending, timeout()]);
      if (controller?.signal.aborted) throw controller.signal.reason;
    };
    const rest = async (from: number, pending: PromiseLike<void>): Promise<void> => {
      try {
        await raceDeadline(pending);
        for (let i = from; i < handlers.length; i += 1) {
          const result = handlers[i]!(event, context);
          if (isThenable(result)) await raceDeadline(result);
        }
        succeed();
      } catch (error) {
        fail(error);
      } finally {
        if (timer !== undefined) timers.clearTimeout(timer);
      }
    };

    try {
      for (let i = 0; i < handlers.length; i += 1) {
        const result = handlers[i]!(event, context);
        if (isThenable(result)) return rest(i + 1, result);
      }
    } catch (error) {
      fail(error);
      return undefined;
    }
    succeed();
    return undefined;
  }

  /** A store that cannot be written must not stop the queue: the entry stays pending and runs again after a restart. */
  function record(event: WebhookEvent, state: ProcessingState): void {
    history.setProcessing(event.id, state).catch((error: unknown) => logger.error({ eventId: event.id, err: error }, 'could not record the processing outcome'));
  }

  function pump(): void {
    pumpScheduled = false;
    while (running < concurrency && queue.length > 0) {
      const event = queue.shift()!;
      running += 1;
      const pending = run(event);
      if (pending === undefined) {
        running -= 1;
        continue;
      }
      void pending.finally(() => {
        running -= 1;
        pump();
        settleIdle();
      });
    }
    settleIdle();
  }

  // Whether a handler does nothing at the configured level: the default catch-all logs at debug only. Skipping
  // the queue for such events saves its record, closures, timer turn and second history write per webhook
  // (the processing queue was 1.7 % of the receive path's busy time, and its garbage part of the 10 % of GC).
  const quiet = (handler: EventHandler): boolean => handler === logEvent && !logger.isLevelEnabled('debug');
  const DONE: ProcessingState = Object.freeze({ state: 'done', durationMs: 0 });

  return {
    doneAtOnce(eventType) {
      return registry.handlersFor(eventType).every(quiet) ? DONE : undefined;
    },
    enqueue(event) {
      queue.push(event);
      // setImmediate: the response is written before any handler starts. One pump per turn of the loop
      // serves every event queued in it.
      if (!pumpScheduled) {
        pumpScheduled = true;
        setImmediate(pump);
      }
    },
    pending: () => running + queue.length,
    onIdle() {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
