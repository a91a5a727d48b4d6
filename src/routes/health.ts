import { Router, type RequestHandler } from 'express';
import type { AppDeps } from '../deps';
import { VERSION } from '../version';

/** `GET /healthz`: open to everyone (load balancers, uptime checks); counts only, no event data. */
export function healthRouter({ history, deliveries, processor, now, startedAtMs, eventLoop }: AppDeps): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({
      status: 'ok',
      version: VERSION,
      uptimeSeconds: Math.max(0, Math.floor((now() - startedAtMs) / 1000)),
      history: history.counts(),
      deliveries: await deliveries.counts(),
      processing: { pending: processor.pending() },
      eventLoopDelayMs: eventLoop ? eventLoop() : null,
    });
  });
  return router;
}

/** `GET /metrics` in the Prometheus text format; mounted behind `requireAdmin`. */
export function metricsHandler({ metrics }: AppDeps): RequestHandler {
  return async (_req, res) => {
    const body = await metrics.registry.metrics();
    res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').send(body);
  };
}
