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

export interface ReshapeInput {
  /** The scheme the stored body was serialized for (the delivery's own). */
  readonly from: SendScheme;
  /** The scheme this attempt signs in (its endpoint's, which a PATCH may have changed since). */
  readonly to: SendScheme;
  readonly eventType: string;
  /** When the delivery was created, ISO 8601: the envelope's timestamp. */
  readonly createdAt: string;
}

/**
 * The body of an endpoint delivery in the scheme its endpoint has now: a receiver switched from `native` to
 * `standard` (or back) verifies and reads the new form only. The same bytes `dialectBody` would have made for
 * `to` at creation: the envelope is built around the payload's bytes, and a payload taken out of an envelope is
 * serialized again as `JSON.stringify` first made it (it was parsed from JSON, so it comes back the same).
 * Any other pair, or a body that is not the envelope it should be, is sent as it is.
 */
export function reshapeBody(body: Buffer, input: ReshapeInput): Buffer {
  const { from, to, eventType, createdAt } = input;
  if (from === to) return body;
  if (from === 'native' && to === 'standard') {
    const head = `{"type":${JSON.stringify(eventType)},"timestamp":${JSON.stringify(createdAt)},"data":`;
    return Buffer.concat([Buffer.from(head), body, Buffer.from('}')]);
  }
  if (from === 'standard' && to === 'native') {
    try {
      const envelope = JSON.parse(body.toString('utf8')) as { data?: unknown };
      if (typeof envelope === 'object' && envelope !== null && 'data' in envelope) return Buffer.from(JSON.stringify(envelope.data));
    } catch {
      // Not the envelope this server wrote: sent as it is.
    }
  }
  return body;
}
