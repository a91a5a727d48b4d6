import express, { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { NotFoundError } from '../errors';
import { catalogueIndex, sampleEvent } from '../trigger/catalogue';
import { answerDelivery, wantsToWait } from './delivery-answer';
import { assertCanSign, httpUrl } from './send';
import { parseInput } from './validate';

const testEventBody = z.strictObject(
  {
    provider: z.string({ error: 'is required (stripe, github, standard or native)' }),
    event: z.string({ error: 'is required (an event of the catalogue: GET /webhook/test-events)' }),
    url: httpUrl,
  },
  { error: 'must be a JSON object, sent with Content-Type: application/json' },
);

/**
 * The page's "Send test event" (issue 16.2): `GET /webhook/test-events` lists the sample catalogue;
 * `POST /webhook/test-events` `{provider, event, url}` sends one as a delivery, signed in the provider's scheme
 * with that scheme's configured secret, as `npm run trigger` does from a terminal.
 */
export function testEventsRouter({ sender, destinations, config, now, newId }: AppDeps): Router {
  const router = Router();
  router.get('/webhook/test-events', (_req, res) => {
    res.json({ catalogue: catalogueIndex() });
  });
  router.post('/webhook/test-events', express.json({ limit: config.security.managementMaxBodyBytes }), async (req, res) => {
    const input = parseInput(testEventBody, req.body);
    const wait = wantsToWait(req);
    const sample = sampleEvent(input.provider, input.event, { eventId: newId(input.provider === 'standard' ? 'msg' : 'evt'), nowMs: now() });
    if (!sample) throw new NotFoundError(`No sample "${input.event}" for "${input.provider}": GET /webhook/test-events lists them.`);
    assertCanSign(config, sample.scheme, undefined);
    await destinations.check(input.url);
    const delivery = await sender.send({
      url: input.url,
      eventType: sample.eventType,
      payload: JSON.parse(sample.body) as unknown,
      scheme: sample.scheme,
      eventId: sample.eventId,
      body: Buffer.from(sample.body),
    });
    await answerDelivery(res, sender, delivery, wait);
  });
  return router;
}
