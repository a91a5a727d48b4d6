import express, { Router } from 'express';
import { z } from 'zod';
import { SCHEME_NAMES } from '../signature/types';
import type { Config } from '../config';
import type { AppDeps } from '../deps';
import { AppError } from '../errors';
import type { SendScheme } from '../sender/sign-headers';
import { schemeByName } from '../signature/registry';
import { answerDelivery, wantsToWait } from './delivery-answer';
import { integer, parseInput } from './validate';

export const httpUrl = z.string({ error: 'is required (an http or https URL)' }).refine(
  (value) => {
    try {
      const { protocol } = new URL(value);
      return protocol === 'http:' || protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'must be an absolute http or https URL' },
).refine(
  // Never sent (attempts go to the origin and path), yet kept and shown in every record: refused, not stored.
  (value) => {
    try {
      const { username, password } = new URL(value);
      return username === '' && password === '';
    } catch {
      return true;
    }
  },
  { message: 'must not hold a user name or password (never sent; an endpoint takes credentials in its `headers`)' },
);

const sendBody = z.strictObject(
  {
    url: httpUrl,
    eventType: z.string({ error: 'is required (a non-empty string)' }).trim().min(1, 'must be a non-empty string').max(200, 'must be at most 200 characters'),
    payload: z.unknown().refine((value) => value !== undefined, { message: 'is required (any JSON value)' }),
    scheme: z.enum(SCHEME_NAMES, { error: 'must be "native", "standard", "stripe" or "github"' }).default('native'),
    secret: z.string().min(1, 'must be a non-empty string').optional(),
    signAll: z.boolean({ error: 'must be a boolean' }).optional(),
    eventId: z.string({ error: 'must be a string of 1 to 200 characters' }).min(1, 'must be a string of 1 to 200 characters').max(200, 'must be a string of 1 to 200 characters').optional(),
    maxAttempts: integer(1, 100).optional(),
    timeoutMs: integer(1, 600_000).optional(),
  },
  { error: 'must be a JSON object, sent with Content-Type: application/json' },
);

/**
 * A send or replay signs with the request's `secret`, else with the first secret of the scheme's own variable
 * (SPEC.md section 2), never with another scheme's: without either, 400 `scheme.disabled` naming the variable.
 */
export function assertCanSign(config: Config, scheme: SendScheme, secret: string | undefined): void {
  if (secret !== undefined || config.schemeSecrets[scheme].length > 0) return;
  const variable = schemeByName(scheme).secretVariable;
  throw new AppError(400, 'scheme.disabled', `No ${scheme} secret to sign with: set ${variable}, or pass "secret" in the request.`);
}

export function sendRouter({ sender, destinations, config }: AppDeps): Router {
  const router = Router();
  const limit = config.security.managementMaxBodyBytes;

  router.post('/webhook/send', express.json({ limit }), async (req, res) => {
    const body = parseInput(sendBody, req.body);
    const wait = wantsToWait(req);
    assertCanSign(config, body.scheme, body.secret);
    // SEND_ALLOWED_HOSTS / SEND_BLOCK_PRIVATE: 400 destination.forbidden before anything is sent.
    await destinations.check(body.url);
    const delivery = await sender.send({
      url: body.url,
      eventType: body.eventType,
      payload: body.payload,
      scheme: body.scheme,
      secret: body.secret,
      signAll: body.signAll,
      eventId: body.eventId,
      maxAttempts: body.maxAttempts,
      timeoutMs: body.timeoutMs,
    });
    await answerDelivery(res, sender, delivery, wait);
  });

  return router;
}
