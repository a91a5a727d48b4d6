import { Router, type RequestHandler } from 'express';
import type { AppDeps } from '../deps';
import { VERSION } from '../version';

/** `GET /healthz`: open to everyone (load balancers, uptime checks); counts only, no event data. */
export function healthRouter({ history, deliveries, processor, now, startedAtMs, eventLoop, storage }: AppDeps): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    // 503 while the store cannot write (SPEC.md section 6), with the reason: a load balancer takes the
    // instance out until a write succeeds again (storage.health() tries one).
    const health = await storage.health();
    const body = {
      status: health.ok ? 'ok' : 'unavailable',
      version: VERSION,
      uptimeSeconds: Math.max(0, Math.floor((now() - startedAtMs) / 1000)),
      // Counts need the store too: null while it cannot answer, and the 503 says why.
      history: await history.counts().catch(() => null),
      deliveries: await deliveries.counts().catch(() => null),
      processing: { pending: processor.pending() },
      eventLoopDelayMs: eventLoop ? eventLoop() : null,
    };
    res.set('Cache-Control', 'no-store');
    if (health.ok) res.json(body);
    else res.status(503).json({ ...body, error: { code: 'storage.unavailable', message: health.reason } });
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
