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
  readonly sender: Pick<Sender, 'prepare' | 'adopt'>;
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
 * Idempotent on `(appId, eventId)`. The event, the index of its deliveries and the deliveries themselves (in
 * the outbox, due now or at a rate-limited endpoint's slot) are one write of the store (`recordEvent`): a
 * crash or a failed write keeps none of them, and the caller's retry creates them all. A second post of the
 * same id (even a concurrent one, on another instance: the store's unique key decides who was first) writes
 * nothing and answers with the first one's deliveries. A rate-limit slot reserved by the post that lost the
 * race stays reserved: the endpoint's next delivery waits one interval more, none is lost.
 */
export async function publishEvent(options: FanOutOptions, input: EventInput): Promise<PublishedEvent> {
  const { store, sender, now, newId, logger } = options;
  try {
    if (input.eventId !== undefined) {
      const existing = await store.getEvent(input.appId, input.eventId);
      if (existing) return published(existing, true);
    }
    const endpoints = (await store.enabledFor(input.appId)).filter((e) => matchesEventType(e.eventTypes, input.eventType));
    const eventId = input.eventId ?? newId('evt');
    const outbox = [];
    for (const endpoint of endpoints) {
      // A rate-limited endpoint's delivery is due at its next free slot: it waits in the outbox, never dropped.
      const dueAtMs = endpoint.rateLimit === null ? undefined : await store.reserveSlot(endpoint.id, now(), 1000 / endpoint.rateLimit);
      outbox.push(
        sender.prepare({
          id: newId('dlv'),
          url: endpoint.url,
          eventType: input.eventType,
          payload: input.payload,
          scheme: endpoint.scheme,
          eventId,
          // Not the endpoint's headers (they may hold credentials): each attempt reads them, its URL and its scheme
          // from the endpoint as it is then (sender/delivery-target.ts). The URL and scheme here are the record's.
          source: { kind: 'endpoint', endpointId: endpoint.id, appId: endpoint.appId },
          retrySchedule: endpoint.retrySchedule,
          maxAttempts: endpoint.retrySchedule === 'svix' ? SVIX_MAX_ATTEMPTS : undefined,
          dueAtMs,
        }),
      );
    }
    const event: EventRecord = {
      appId: input.appId,
      eventId,
      eventType: input.eventType,
      createdAt: new Date(now()).toISOString(),
      deliveries: outbox.map(({ record }) => ({ deliveryId: record.id, endpointId: record.source!.endpointId! })),
    };
    const recorded = await store.recordEvent(event, outbox);
    if (!recorded.created) return published(recorded.event, true);
    sender.adopt(outbox.map(({ record }) => record));
    logger.info({ appId: event.appId, eventId: event.eventId, eventType: event.eventType, deliveries: outbox.length }, 'event fanned out');
    return published(event, false);
  } catch (error) {
    throw storageError(error);
  }
}
