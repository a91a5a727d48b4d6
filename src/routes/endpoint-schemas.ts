import { z } from 'zod';
import { eventTypeFilterProblem } from '../endpoints/event-types';
import { RETRY_SCHEDULES } from '../sender/retry-policy';
import { SIGNATURE_HEADERS, STALE_HEADERS } from '../signature/registry';
import { parseStandardKey } from '../signature/standard';
import { httpUrl } from './send';
import { integer } from './validate';

/**
 * The request bodies of the endpoint and event routes. Every field's message says what it must be, so a 400
 * names each bad field (routes/validate.ts).
 */

const text = (max: number) => z.string({ error: `must be a string of at most ${max} characters` }).max(max, `must be a string of at most ${max} characters`);
const id = z
  .string({ error: 'must be a string of 1 to 200 letters, digits or ._:- characters' })
  .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'must be a string of 1 to 200 letters, digits or ._:- characters');

/**
 * Headers a caller may not set: every scheme's signature, timestamp and id headers (not only the endpoint's
 * own scheme's: a receiver that reads `svix-id` before `webhook-id` would verify another id), and what the HTTP
 * client decides (framing, hop-by-hop; undici refuses `upgrade`, `expect`, `keep-alive`..., which failed every
 * attempt as a network error instead of a 400 here).
 */
const RESERVED_HEADERS = new Set([
  ...SIGNATURE_HEADERS,
  ...STALE_HEADERS,
  'host',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

const headers = z
  .record(z.string(), z.string({ error: 'each value must be a string' }).max(1000, 'each value must be at most 1000 characters'), { error: 'must be an object of header names to string values' })
  .superRefine((value, ctx) => {
    for (const [name, headerValue] of Object.entries(value)) {
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} is not a header name` });
      else if (RESERVED_HEADERS.has(lower) || lower.startsWith('x-webhook-')) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} is set by the server` });
      // Tab is the only control character a header value may hold; undici refuses the others at every attempt.
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(headerValue)) ctx.addIssue({ code: 'custom', message: `the value of ${JSON.stringify(name)} has a control character` });
    }
  })
  .transform((value) => Object.fromEntries(Object.entries(value).map(([name, v]) => [name.toLowerCase(), v])));

const eventTypes = z
  .array(z.string({ error: 'each must be a non-empty string' }).min(1, 'each must be a non-empty string').max(200, 'each must be at most 200 characters'), {
    error: 'must be an array of event types (empty: all)',
  })
  .max(100, 'must list at most 100 event types')
  .superRefine((value, ctx) => {
    for (const filter of value) {
      const problem = eventTypeFilterProblem(filter);
      if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(filter)} ${problem}` });
    }
  });

const fields = {
  url: httpUrl,
  description: text(1000),
  eventTypes,
  scheme: z.enum(['native', 'standard'], { error: 'must be "native" or "standard"' }),
  enabled: z.boolean({ error: 'must be a boolean' }),
  rateLimit: integer(1, 10_000).nullable(),
  headers,
  metadata: z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }),
  retrySchedule: z.enum(RETRY_SCHEDULES, { error: `must be one of ${RETRY_SCHEDULES.map((s) => `"${s}"`).join(', ')}` }),
};

const objectError = { error: 'must be a JSON object, sent with Content-Type: application/json' };

/**
 * A secret the caller brings (one its receiver already has): at least 16 characters of printable ASCII; for the
 * standard scheme it must be a key the Standard Webhooks libraries take (`whsec_` and at least 16 base64 bytes).
 */
const givenSecret = z
  .string({ error: 'must be a string of 16 to 200 printable characters' })
  .regex(/^[\x21-\x7e]{16,200}$/, 'must be a string of 16 to 200 printable characters');

export const createEndpointBody = z
  .strictObject(
    {
      appId: id.default('default'),
      secret: givenSecret.optional(),
      url: fields.url,
      description: fields.description.default(''),
      eventTypes: fields.eventTypes.default([]),
      scheme: fields.scheme.default('native'),
      enabled: fields.enabled.default(true),
      rateLimit: fields.rateLimit.default(null),
      headers: fields.headers.default({}),
      metadata: fields.metadata.default({}),
      retrySchedule: fields.retrySchedule.default('exponential'),
    },
    objectError,
  )
  .refine((body) => body.secret === undefined || body.scheme !== 'standard' || (body.secret.startsWith('whsec_') && (parseStandardKey(body.secret)?.length ?? 0) >= 16), {
    message: 'for the standard scheme, must be whsec_ followed by at least 16 key bytes in base64',
    path: ['secret'],
  });

/** A PATCH changes what it names; `appId` is not among them (an endpoint belongs to one customer for good). */
export const updateEndpointBody = z.strictObject(
  {
    url: fields.url.optional(),
    description: fields.description.optional(),
    eventTypes: fields.eventTypes.optional(),
    scheme: fields.scheme.optional(),
    enabled: fields.enabled.optional(),
    rateLimit: fields.rateLimit.optional(),
    headers: fields.headers.optional(),
    metadata: fields.metadata.optional(),
    retrySchedule: fields.retrySchedule.optional(),
  },
  objectError,
);

export const eventBody = z.strictObject(
  {
    eventType: z.string({ error: 'is required (a non-empty string)' }).trim().min(1, 'must be a non-empty string').max(200, 'must be at most 200 characters'),
    payload: z.unknown().refine((value) => value !== undefined, { message: 'is required (any JSON value)' }),
    eventId: id.optional(),
    appId: id.default('default'),
  },
  objectError,
);

const isoTime = z
  .string({ error: 'must be an ISO 8601 date-time' })
  .refine((value) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 date-time')
  .transform((value) => Date.parse(value));

export const recoverBody = z
  .strictObject({ since: isoTime, until: isoTime.optional() }, objectError)
  .refine((value) => value.until === undefined || value.until > value.since, { message: 'must be after since', path: ['until'] });
