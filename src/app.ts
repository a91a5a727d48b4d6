import express, { type Express } from 'express';
import type { AppDeps } from './deps';
import { requireAdmin } from './middleware/auth';
import { rejectCrossSite } from './middleware/csrf';
import { requireHost } from './middleware/require-host';
import { errorHandler, notFound } from './middleware/error-handler';
import { installJsonResponse } from './middleware/json-response';
import { methodNotAllowed } from './middleware/method-not-allowed';
import { rateLimit, rateLimiter } from './middleware/rate-limit';
import { securityHeaders, securityHeadersFor } from './middleware/security-headers';
import { deliveriesRouter } from './routes/deliveries';
import { endpointsRouter } from './routes/endpoints';
import { healthRouter, metricsHandler } from './routes/health';
import { historyRouter } from './routes/history';
import { historyToolsRouter } from './routes/history-tools';
import { RECEIVE_PATH, receiveHandlers } from './routes/receive';
import { replayRouter } from './routes/replay';
import { responseRulesRouter } from './routes/response-rules';
import { sendRouter } from './routes/send';
import { streamRouter } from './routes/stream';
import { testEventsRouter } from './routes/test-events';
import { uiRouter } from './routes/ui';

/** Paths behind `requireAdmin`: everything but /webhook/receive and /healthz. */
export const ADMIN_PATHS = [
  '/webhook/send',
  '/webhook/deliveries',
  '/webhook/history',
  '/webhook/response-rules',
  '/webhook/test-events',
  '/webhook/endpoints',
  '/webhook/events',
  '/metrics',
];

export const HELMET_OPTIONS = { contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } } as const;

/** Builds the Express app from its collaborators. No listening, no environment, no timers. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // responses are fresh JSON; hashing every body for an ETag buys nothing here
  installJsonResponse(app); // res.json without Express's per-answer header parsing, same bytes
  const { security } = deps.config;
  // Decides req.ip (and so the loopback rule and the rate limit) behind a reverse proxy; off by default,
  // since trusting X-Forwarded-For from anyone would let any client claim to be 127.0.0.1.
  app.set('trust proxy', security.trustProxy);

  // helmet rather than hand-written headers: its defaults (CSP, HSTS, nosniff, frame-ancestors, CORP/COOP,
  // Referrer-Policy, ...) are maintained as browsers change, and the history page needs a correct CSP.
  // upgrade-insecure-requests is dropped: the server usually runs on plain http (localhost, behind a proxy),
  // where it would make a browser fetch the UI's own assets over https and fail. Computed once: see
  // security-headers.ts.
  const headersFor = securityHeadersFor(HELMET_OPTIONS, { machinePaths: [RECEIVE_PATH] });
  // The rate limit runs before the body is read, so a flood costs no parsing and never reaches the history.
  // One limiter, so POST and the other methods on the receive URL share each client's budget.
  const limit =
    security.receiveRateLimit > 0
      ? rateLimiter({ perMinute: security.receiveRateLimit, now: deps.now, clientAddress: deps.clientAddress, onLimited: () => deps.metrics.rateLimited() })
      : undefined;

  // First, so that a webhook goes through no app-wide layer: the route sets the same headers and makes the
  // same checks itself (routes/receive.ts). Everything else, including other methods on this URL, goes
  // through the app-wide ones below.
  app.post(RECEIVE_PATH, ...receiveHandlers(deps, { securityHeadersFor: headersFor, limit }));

  app.use(securityHeaders(headersFor));
  app.use(requireHost());
  if (limit) app.use(RECEIVE_PATH, rateLimit(limit));
  // Any other method on the receive URL (a browser's GET, a probe) is told what the route takes, not 404.
  app.all(
    RECEIVE_PATH,
    methodNotAllowed(['POST'], 'Webhook senders POST signed events here; to see what arrived, open / or GET /webhook/history.'),
  );
  app.use(healthRouter(deps));

  const admin = requireAdmin({ adminToken: security.adminToken, trustProxy: security.trustProxy, clientAddress: deps.clientAddress });
  // Before the admin check, so a forged cross-site request is told why whatever its credentials.
  app.use(ADMIN_PATHS, rejectCrossSite());
  app.use(ADMIN_PATHS, admin);
  app.get('/metrics', metricsHandler(deps));
  // Before historyRouter: GET /webhook/history answers browsers with the page, and "stream" is not an id.
  // The stream and replay live under /webhook/history, behind ADMIN_PATHS; the page and its files get the
  // same guard.
  app.use(uiRouter(deps, admin));
  app.use(streamRouter(deps));
  app.use(replayRouter(deps));
  app.use(historyToolsRouter(deps));
  app.use(historyRouter(deps));
  app.use(sendRouter(deps));
  app.use(deliveriesRouter(deps));
  app.use(responseRulesRouter(deps, deps.responseRules));
  app.use(testEventsRouter(deps));
  app.use(endpointsRouter(deps));

  app.use(notFound);
  app.use(errorHandler(deps.logger, deps.config.maxBodyBytes));
  return app;
}
