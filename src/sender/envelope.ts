import type { DeliveryContent, DeliveryRecord, DeliverySource } from './delivery-store';
import { dialectBody } from './dialect-body';
import type { SendScheme } from './sign-headers';

export interface SendRequest {
  readonly url: string;
  readonly eventType: string;
  readonly payload: unknown;
  readonly scheme: SendScheme;
  /** Sign with this secret instead of the configured ones. */
  readonly secret?: string;
  /** Put one signature per configured secret in the header, so receivers on an old secret keep working. */
  readonly signAll?: boolean;
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
  /** Reuse an event id (a replay); a new one is made otherwise. */
  readonly eventId?: string;
  /** Send these exact bytes instead of serializing `payload` (replaying a received body). */
  readonly body?: Buffer;
  /**
   * Extra headers on every attempt (a replay's original `Content-Type`, say). They may replace the default
   * `Content-Type` and `User-Agent`, never the signature headers.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Where the request comes from; `{kind: 'send'}` unless told. */
  readonly source?: DeliverySource;
}

/**
 * The bytes every attempt of a delivery sends, serialized once (SPEC.md section 2): for `native` the payload
 * itself (the event type travels in a header); for `standard` the Standard Webhooks envelope
 * `{type, timestamp, data}`; or the exact bytes of a replay.
 */
export function deliveryBody(request: SendRequest, createdAt: string, eventId: string): Buffer {
  if (request.body) return request.body;
  // stripe: a Stripe event object around the payload (dialect-body.ts), since its receivers read id and type there.
  const json = JSON.stringify(dialectBody({ scheme: request.scheme, eventId, eventType: request.eventType, payload: request.payload, createdAt }));
  // Exactly its size: `Buffer.from(string)` reserves 3 bytes per character in the shared pool, so a 1 KB body
  // held for a retry would pin about 1.6 KB (bench/pending-memory.js).
  const body = Buffer.allocUnsafe(Buffer.byteLength(json));
  body.write(json, 'utf8');
  return body;
}

export interface NewDelivery {
  readonly record: DeliveryRecord;
  readonly content: DeliveryContent;
}

/** A new delivery, pending and due at once (its schedule is stored before its first attempt). */
export function newDelivery(
  request: SendRequest,
  ids: { readonly id: string; readonly eventId: string },
  createdAt: string,
  defaults: { readonly maxAttempts: number; readonly timeoutMs: number },
): NewDelivery {
  const record: DeliveryRecord = {
    id: ids.id,
    eventId: ids.eventId,
    url: request.url,
    eventType: request.eventType,
    scheme: request.scheme,
    source: request.source ?? { kind: 'send' },
    status: 'pending',
    createdAt,
    updatedAt: createdAt,
    maxAttempts: request.maxAttempts ?? defaults.maxAttempts,
    timeoutMs: request.timeoutMs ?? defaults.timeoutMs,
    attempts: [],
    nextAttemptAt: createdAt,
    error: null,
  };
  const content: DeliveryContent = {
    body: deliveryBody(request, createdAt, ids.eventId),
    secret: request.secret,
    signAll: request.signAll ?? false,
    headers: request.headers,
  };
  return { record, content };
}
