import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { NotFoundError } from '../errors';
import { answerDelivery, wantsToWait } from './delivery-answer';
import { parseInput, queryInteger } from './validate';

const listQuery = z.object({
  limit: queryInteger(1, 500).default(50),
  cursor: z.string().min(1).optional(),
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
});


export function deliveriesRouter({ deliveries, sender, destinations }: AppDeps): Router {
  const router = Router();

  router.get('/webhook/deliveries', async (req, res) => {
    const query = parseInput(listQuery, req.query);
    res.json(await deliveries.list(query));
  });

  router.get('/webhook/deliveries/:id', async (req, res) => {
    const record = await deliveries.get(req.params.id);
    if (!record) throw new NotFoundError(`No delivery with id ${JSON.stringify(req.params.id)}.`);
    res.json(record);
  });

  router.post('/webhook/deliveries/:id/retry', async (req, res) => {
    const wait = wantsToWait(req);
    // The rules may have changed since the delivery was first sent.
    const existing = await deliveries.get(req.params.id);
    if (existing) await destinations.check(existing.url);
    const record = await sender.retry(req.params.id);
    await answerDelivery(res, sender, record, wait);
  });

  return router;
}
