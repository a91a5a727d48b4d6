import type { SendScheme } from './sign-headers';

export interface DialectBodyInput {
  readonly scheme: SendScheme;
  readonly eventId: string;
  readonly eventType: string;
  readonly payload: unknown;
  /** When the delivery was created, ISO 8601. */
  readonly createdAt: string;
}

/**
 * What `/webhook/send` puts on the wire for each dialect (SPEC.md section 2): native and github send the
 * payload itself (the type and id travel in headers); standard wraps it in the Standard Webhooks envelope;
 * stripe in a Stripe event object, since its receivers read the id and type from the signed body
 * (`stripe.webhooks.constructEvent` returns this object).
 */
export function dialectBody(input: DialectBodyInput): unknown {
  const { scheme, eventId, eventType, payload, createdAt } = input;
  if (scheme === 'standard') return { type: eventType, timestamp: createdAt, data: payload };
  if (scheme === 'stripe') {
    return {
      id: eventId,
      object: 'event',
      api_version: '2024-06-20',
      created: Math.floor(Date.parse(createdAt) / 1000),
      data: { object: payload },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: eventType,
    };
  }
  return payload;
}
