import express, { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { publishEvent } from '../endpoints/fan-out';
import type { DeliveryRecord } from '../sender/delivery-store';
import { createEndpointBody, eventBody, recoverBody, updateEndpointBody } from './endpoint-schemas';
import { parseInput, queryInteger } from './validate';

const listQuery = z.strictObject({
  limit: queryInteger(1, 500).default(50),
  cursor: z.string().min(1).optional(),
  appId: z.string().min(1).max(200).optional(),
});

const recentQuery = z.strictObject({ limit: queryInteger(1, 200).default(20) });

/** Provider mode (SPEC.md section 7, docs/endpoints.md): endpoints, their secrets, events, stats, recovery. */
export function endpointsRouter(deps: AppDeps): Router {
  const { endpoints, recoveries, endpointStore, deliveries, sender, now, newId, logger, config } = deps;
  const router = Router();
  const json = express.json({ limit: config.security.managementMaxBodyBytes });

  router.post('/webhook/endpoints', json, async (req, res) => {
    const { appId, secret: givenSecret, ...input } = parseInput(createEndpointBody, req.body);
    const { endpoint, secret } = await endpoints.create(appId, input, givenSecret);
    res.status(201).location(`/webhook/endpoints/${endpoint.id}`).json({ endpoint, secret });
  });

  router.get('/webhook/endpoints', async (req, res) => {
    res.json(await endpoints.list(parseInput(listQuery, req.query)));
  });

  router.get('/webhook/endpoints/:id', async (req, res) => {
    res.json(await endpoints.get(req.params.id));
  });

  router.patch('/webhook/endpoints/:id', json, async (req, res) => {
    const changes = parseInput(updateEndpointBody, req.body);
    res.json(await endpoints.update(req.params.id, changes));
  });

  router.delete('/webhook/endpoints/:id', async (req, res) => {
    await endpoints.delete(req.params.id);
    res.status(204).end();
  });

  router.get('/webhook/endpoints/:id/secret', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await endpoints.secret(req.params.id));
  });

  router.post('/webhook/endpoints/:id/secret/rotate', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await endpoints.rotate(req.params.id));
  });

  router.get('/webhook/endpoints/:id/stats', async (req, res) => {
    res.json(await endpoints.stats(req.params.id));
  });

  /** The endpoint's newest deliveries, whole records with their attempts (the page's detail view). */
  router.get('/webhook/endpoints/:id/deliveries', async (req, res) => {
    const { limit } = parseInput(recentQuery, req.query);
    await endpoints.get(req.params.id);
    const indexed = await endpointStore.deliveries(req.params.id, { sinceMs: 0, untilMs: Number.MAX_SAFE_INTEGER });
    const newest = indexed.slice(-limit).reverse();
    const records = await Promise.all(newest.map((d) => deliveries.get(d.deliveryId)));
    res.json({ items: records.filter((r): r is DeliveryRecord => r !== undefined) });
  });

  router.post('/webhook/endpoints/:id/recover', json, async (req, res) => {
    const { since, until } = parseInput(recoverBody, req.body);
    const job = await recoveries.start(req.params.id, since, until ?? now());
    res.status(202).location(`/webhook/endpoints/${job.endpointId}/recover/${job.id}`).json({ job });
  });

  router.get('/webhook/endpoints/:id/recover/:jobId', async (req, res) => {
    res.json({ job: await recoveries.get(req.params.id, req.params.jobId) });
  });

  router.post('/webhook/events', json, async (req, res) => {
    const input = parseInput(eventBody, req.body);
    const event = await publishEvent({ store: endpointStore, sender, now, newId, logger }, input);
    res.status(202).json(event);
  });

  return router;
}
