import type { Logger } from 'pino';
import type { SchemeName } from '../signature/types';

/** A verified, recorded webhook, as handlers see it. */
export interface WebhookEvent {
  readonly id: string;
  readonly eventType: string | null;
  readonly scheme: SchemeName;
  /** ISO 8601. */
  readonly receivedAt: string;
  /** Redacted, like the history's. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body, else the body as text. */
  readonly payload: unknown;
  /** The exact bytes that were verified. */
  readonly rawBody: Buffer;
}

export interface HandlerContext {
  /** Aborts when the handler runs past `PROCESSING_TIMEOUT_MS`; pass it on to `fetch` and friends. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

export type EventHandler = (event: WebhookEvent, context: HandlerContext) => void | Promise<void>;

/** Handlers per event type, plus catch-alls that see every event. */
export class HandlerRegistry {
  private readonly byType = new Map<string, EventHandler[]>();
  private readonly catchAll: EventHandler[] = [];

  /** Runs `handler` for every event whose type is `eventType`. */
  on(eventType: string, handler: EventHandler): this {
    if (typeof eventType !== 'string' || eventType === '') throw new TypeError('eventType must be a non-empty string');
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    const list = this.byType.get(eventType) ?? [];
    list.push(handler);
    this.byType.set(eventType, list);
    return this;
  }

  /** Runs `handler` for every event, after the type's own handlers. */
  onAny(handler: EventHandler): this {
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    this.catchAll.push(handler);
    return this;
  }

  handlersFor(eventType: string | null): readonly EventHandler[] {
    const own = eventType === null ? undefined : this.byType.get(eventType);
    return own ? [...own, ...this.catchAll] : this.catchAll;
  }
}

/**
 * The default catch-all: one log line per processed event, at debug level (the receive line at info
 * already names every accepted event; `LOG_LEVEL=debug` shows this one too).
 */
export const logEvent: EventHandler = (event, { logger }) => {
  logger.debug({ eventId: event.id, eventType: event.eventType, scheme: event.scheme }, 'webhook processed');
};
