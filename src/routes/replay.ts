import express, { Router } from 'express';
import { z } from 'zod';
import { SCHEME_NAMES } from '../signature/types';
import type { AppDeps } from '../deps';
import { ConflictError, NotFoundError } from '../errors';
import { isSecretHeader } from '../history/redact';
import { NEVER_REPLAYED, replayRequest } from '../sender/replay';
import { headerMap } from './response-rules';
import { answerDelivery, wantsToWait } from './delivery-answer';
import { assertCanSign, httpUrl } from './send';
import { integer, parseInput } from './validate';

const replayBody = z.strictObject(
  {
    url: httpUrl,
    scheme: z.enum(SCHEME_NAMES, { error: 'must be "native", "standard", "stripe" or "github"' }).default('native'),
    preserveHeaders: z.boolean({ error: 'must be a boolean' }).default(false),
    secret: z.string().min(1, 'must be a non-empty string').optional(),
    maxAttempts: integer(1, 100).optional(),
    timeoutMs: integer(1, 600_000).optional(),
    // Edit and replay (issue 16.5): another body (sent as given, signed afresh) and extra headers.
    body: z.string({ error: 'must be the raw body as a string' }).optional(),
    headers: headerMap.optional(),
  },
  { error: 'the body must be a JSON object' },
);


/**
 * `POST /webhook/history/:id/replay`: sends an accepted event's exact bytes to another URL as a new
 * delivery with the same event id, signed afresh (see docs/ui.md). Answers like `POST /webhook/send`.
 */
export function replayRouter({ history, rawBodies, sender, config, destinations }: AppDeps): Router {
  const router = Router();

  router.post('/webhook/history/:id/replay', express.json({ limit: config.security.managementMaxBodyBytes }), async (req, res) => {
    const options = parseInput(replayBody, req.body);
    const wait = wantsToWait(req);
    assertCanSign(config, options.scheme, options.secret);
    const id = String(req.params.id);
    const entry = await history.get(id);
    if (!entry) throw new NotFoundError(`No history entry with id ${JSON.stringify(id)}.`);
    if (entry.status !== 'accepted') {
      throw new ConflictError('history.not_replayable', 'Only accepted events can be replayed; this request was rejected, and only a preview of its body is kept.');
    }
    const body = options.body !== undefined ? Buffer.from(options.body, 'utf8') : rawBodies.get(entry.id);
    if (!body) {
      throw new ConflictError('history.body_unavailable', 'The exact body of this event is no longer kept (RAW_BODY_CACHE_BYTES); it cannot be replayed byte for byte.');
    }
    // SEND_ALLOWED_HOSTS / SEND_BLOCK_PRIVATE: 400 destination.forbidden before anything is sent, as for send.
    await destinations.check(options.url);
    const replay = replayRequest(entry, body, options);
    // Edited headers join the replay's; the fresh signature headers are still the sender's own, and a
    // header that must never be replayed (framing, credentials, another signature) is dropped.
    const edited = Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value] as const);
    const headers = { ...replay.headers, ...Object.fromEntries(edited.filter(([name]) => !NEVER_REPLAYED.has(name) && !isSecretHeader(name))) };
    const delivery = await sender.send({ ...replay, headers, source: { kind: 'replay', historyId: entry.id } });
    await answerDelivery(res, sender, delivery, wait);
  });

  return router;
}
