import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { NotFoundError } from '../errors';
import { parseInput, queryInteger } from './validate';

const listQuery = z.object({
  limit: queryInteger(1, 500).default(50),
  cursor: z.string().min(1).optional(),
  event: z.string().min(1).optional(),
  status: z.enum(['accepted', 'rejected']).optional(),
});

export function historyRouter({ history, rawBodies }: AppDeps): Router {
  const router = Router();

  router.get('/webhook/history', (req, res) => {
    const query = parseInput(listQuery, req.query);
    res.json(history.list({ limit: query.limit, cursor: query.cursor, eventType: query.event, status: query.status }));
  });

  router.get('/webhook/history/:id', (req, res) => {
    const entry = history.get(req.params.id);
    if (!entry) throw new NotFoundError(`No history entry with id ${JSON.stringify(req.params.id)}.`);
    res.json(entry);
  });

  router.delete('/webhook/history', (_req, res) => {
    const cleared = history.counts();
    history.clear();
    rawBodies.clear(); // the exact bytes kept for replay go with their entries
    res.json({ cleared });
  });

  return router;
}
