import { randomUUID } from 'node:crypto';
import { signGithub } from '../signature/github';
import { signNative } from '../signature/native';
import { signStandard } from '../signature/standard';
import { signStripe } from '../signature/stripe';
import type { SchemeName } from '../signature/types';

export interface SignRequestOptions {
  readonly scheme: SchemeName;
  /** The raw body, signed exactly as given (a string is signed as its UTF-8 bytes). */
  readonly body: Buffer | string;
  readonly secret: string;
  /** `X-Webhook-Event` (native) or `X-GitHub-Event` (github). Standard and Stripe carry the type in the body. */
  readonly event?: string;
  /** `X-Webhook-Id`, `webhook-id` or `X-GitHub-Delivery`; generated when absent. Stripe carries it in the body. */
  readonly id?: string;
  /** The `Content-Type` header; `application/json` when absent. The signature covers the body only. */
  readonly contentType?: string;
}

export interface SignedRequest {
  /** In the order they are printed, with the spelling each dialect's documentation uses. */
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly body: Buffer;
  /** The id the server will dedupe this event by, when the request determines one. */
  readonly eventId: string | undefined;
  /** Things the user should know, e.g. that a Stripe body without an `id` cannot be deduplicated by id. */
  readonly notes: readonly string[];
}

/** Default event types, for the schemes that carry the type in a header. */
export const DEFAULT_EVENT = { native: 'webhook.test', github: 'ping' } as const;

/** A fresh event id in each dialect's usual shape: GitHub deliveries are UUIDs, the others prefixed. */
export function defaultNewId(scheme: SchemeName): string {
  const uuid = randomUUID();
  if (scheme === 'github') return uuid;
  return `${scheme === 'standard' ? 'msg' : 'evt'}_${uuid.replaceAll('-', '')}`;
}

function topLevelString(body: Buffer, field: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const value = (parsed as Record<string, unknown>)[field];
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The headers a sender of `scheme` would send with `body`, signed at `nowMs` (ms since the epoch).
 * Pure apart from `newId`, which only runs when no id is given. Misuse throws `TypeError` (from the
 * signers) or `RangeError` (an option the scheme has no place for).
 */
export function buildSignedRequest(
  options: SignRequestOptions,
  nowMs: number,
  newId: (scheme: SchemeName) => string = defaultNewId,
): SignedRequest {
  const { scheme, secret } = options;
  const body = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
  const timestamp = Math.floor(nowMs / 1000);
  const contentType: [string, string] = ['Content-Type', options.contentType ?? 'application/json'];

  if ((scheme === 'standard' || scheme === 'stripe') && options.event !== undefined) {
    throw new RangeError(`--event does not apply to ${scheme}: its event type is the body's top-level "type" field.`);
  }

  switch (scheme) {
    case 'native': {
      const id = options.id ?? newId(scheme);
      return {
        headers: [
          contentType,
          ['X-Webhook-Id', id],
          ['X-Webhook-Timestamp', String(timestamp)],
          ['X-Webhook-Event', options.event ?? DEFAULT_EVENT.native],
          ['X-Webhook-Signature', signNative(secret, timestamp, body)],
        ],
        body,
        eventId: id,
        notes: [],
      };
    }
    case 'standard': {
      const id = options.id ?? newId(scheme);
      const notes = topLevelString(body, 'type') ? [] : ['The body has no top-level "type": the event will be recorded without a type.'];
      return {
        headers: [
          contentType,
          ['webhook-id', id],
          ['webhook-timestamp', String(timestamp)],
          ['webhook-signature', signStandard(secret, id, timestamp, body)],
        ],
        body,
        eventId: id,
        notes,
      };
    }
    case 'stripe': {
      if (options.id !== undefined) {
        throw new RangeError('--id does not apply to stripe: its event id is the body\'s top-level "id" field.');
      }
      const eventId = topLevelString(body, 'id');
      const notes = eventId ? [] : ['The body has no top-level "id": the server will assign one, and retries cannot be deduplicated by id.'];
      return { headers: [contentType, ['Stripe-Signature', signStripe(secret, timestamp, body)]], body, eventId, notes };
    }
    case 'github': {
      const id = options.id ?? newId(scheme);
      return {
        headers: [
          contentType,
          ['X-GitHub-Event', options.event ?? DEFAULT_EVENT.github],
          ['X-GitHub-Delivery', id],
          ['X-Hub-Signature-256', signGithub(secret, body)],
        ],
        body,
        eventId: id,
        notes: [],
      };
    }
  }
}
