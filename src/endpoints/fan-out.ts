import type { Logger } from 'pino';
import type { Now } from '../clock';
import { storageError } from '../errors';
import type { Sender } from '../sender/sender';
import { SVIX_MAX_ATTEMPTS } from '../sender/retry-policy';
import type { EndpointStore, EventRecord, PlannedDelivery } from './endpoint-store';
import { matchesEventType } from './event-types';

export interface EventInput {
  readonly appId: string;
  readonly eventType: string;
  readonly payload: unknown;
  readonly eventId?: string;
}

export interface PublishedEvent {
  readonly appId: string;
  readonly eventId: string;
  readonly eventType: string;
  /** True when an event with this id had been posted for this appId before: nothing new was sent. */
  readonly duplicate: boolean;
  readonly deliveries: readonly PlannedDelivery[];
}

export interface FanOutOptions {
  readonly store: EndpointStore;
  readonly sender: Pick<Sender, 'send'>;
  readonly now: Now;
  readonly newId: (prefix: string) => string;
  readonly logger: Logger;
}

const published = (event: EventRecord, duplicate: boolean): PublishedEvent => ({
  appId: event.appId,
  eventId: event.eventId,
  eventType: event.eventType,
  duplicate,
  deliveries: event.deliveries,
});

/**
 * `POST /webhook/events`: one delivery per enabled endpoint of the event's customer whose filter matches, each
 * signed with that endpoint's secret and scheme, all with the event's id.
 *
 * Idempotent on `(appId, eventId)`: the event and the deliveries planned for it are recorded in one write
 * before any is sent, and a second post of the same id (even a concurrent one: the store decides who was
 * first) answers with those. What this costs: a crash between that write and the deliveries' own would leave
 * the event recorded with deliveries that were never stored; the delivery outbox has no transaction with the
 * endpoint store to close that window on every backend.
 */
export async function publishEvent(options: FanOutOptions, input: EventInput): Promise<PublishedEvent> {
  const { store, sender, now, newId, logger } = options;
  try {
    if (input.eventId !== undefined) {
      const existing = await store.getEvent(input.appId, input.eventId);
      if (existing) return published(existing, true);
    }
    const endpoints = (await store.enabledFor(input.appId)).filter((e) => matchesEventType(e.eventTypes, input.eventType));
    const planned = endpoints.map((endpoint) => ({ endpoint, deliveryId: newId('dlv') }));
    const event: EventRecord = {
      appId: input.appId,
      eventId: input.eventId ?? newId('evt'),
      eventType: input.eventType,
      createdAt: new Date(now()).toISOString(),
      deliveries: planned.map((p) => ({ deliveryId: p.deliveryId, endpointId: p.endpoint.id })),
    };
    const recorded = await store.recordEvent(event);
    if (!recorded.created) return published(recorded.event, true);
    for (const { endpoint, deliveryId } of planned) {
      // A rate-limited endpoint's delivery is due at its next free slot: it waits in the outbox, never dropped.
      const dueAtMs = endpoint.rateLimit === null ? undefined : await store.reserveSlot(endpoint.id, now(), 1000 / endpoint.rateLimit);
      await sender.send({
        id: deliveryId,
        url: endpoint.url,
        eventType: input.eventType,
        payload: input.payload,
        scheme: endpoint.scheme,
        eventId: event.eventId,
        headers: Object.keys(endpoint.headers).length > 0 ? endpoint.headers : undefined,
        source: { kind: 'endpoint', endpointId: endpoint.id, appId: endpoint.appId },
        retrySchedule: endpoint.retrySchedule,
        maxAttempts: endpoint.retrySchedule === 'svix' ? SVIX_MAX_ATTEMPTS : undefined,
        dueAtMs,
      });
    }
    logger.info({ appId: event.appId, eventId: event.eventId, eventType: event.eventType, deliveries: planned.length }, 'event fanned out');
    return published(event, false);
  } catch (error) {
    throw storageError(error);
  }
}
