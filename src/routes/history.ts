import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { NotFoundError } from '../errors';
import { HISTORY_PAGE_MAX_BYTES } from '../history/query';
import { parseInput, queryInteger } from './validate';

const listQuery = z.object({
  limit: queryInteger(1, 500).default(50),
  cursor: z.string().min(1).optional(),
  event: z.string().min(1).optional(),
  status: z.enum(['accepted', 'rejected']).optional(),
});

export function historyRouter({ history, rawBodies }: AppDeps): Router {
  const router = Router();

  router.get('/webhook/history', async (req, res) => {
    const query = parseInput(listQuery, req.query);
    // A page holds at most HISTORY_PAGE_MAX_BYTES of entries (and the next cursor), whatever ?limit says.
    res.json(await history.list({ limit: query.limit, cursor: query.cursor, eventType: query.event, status: query.status, maxBytes: HISTORY_PAGE_MAX_BYTES }));
  });

  router.get('/webhook/history/:id', async (req, res) => {
    const entry = await history.get(req.params.id);
    if (!entry) throw new NotFoundError(`No history entry with id ${JSON.stringify(req.params.id)}.`);
    res.json(entry);
  });

  router.delete('/webhook/history', async (_req, res) => {
    const cleared = await history.counts();
    await history.clear();
    rawBodies.clear(); // the exact bytes kept for replay go with their entries
    res.json({ cleared });
  });

  return router;
}
