import bodyParser from 'body-parser';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { AppDeps } from '../deps';
import { AppError } from '../errors';
import { createIntake } from '../intake/intake';
import { toAppError } from '../middleware/error-handler';
import type { RateLimiter } from '../middleware/rate-limit';
import { assertHost } from '../middleware/require-host';
import type { SecurityHeadersFor } from '../middleware/security-headers';

/** Where the receive route is mounted (SPEC.md section 1). */
export const RECEIVE_PATH = '/webhook/receive';

export interface ReceiveRouteOptions {
  /** The security headers of an answer at a URL: the app-wide middleware's, which runs after this route. */
  readonly securityHeadersFor: SecurityHeadersFor;
  /** RECEIVE_RATE_LIMIT's limiter, when set: the same one the route's other methods go through. */
  readonly limit?: RateLimiter;
}

/**
 * `POST /webhook/receive` (SPEC.md section 1): reads the raw bytes and hands them to the intake, which
 * verifies, classifies and stores them. This route knows HTTP only: nothing of storage or signatures.
 *
 * Returns the route's handlers, for `app.post(RECEIVE_PATH, ...)` ahead of every app-wide middleware: mounted
 * on the app itself rather than through a nested `Router`, and first, a webhook makes one router pass (each
 * `app.use` layer before it was one more: the nested router's dispatch, `parseurl` and prefix trimming, then
 * the security headers and the Host check, issue 13). So the route does itself what those layers did for it,
 * in the same order: the security headers, the Host check, the rate limit (before the body is read, so a
 * flood costs no reading and never reaches the history), then the body.
 */
export function receiveHandlers(deps: AppDeps, options: ReceiveRouteOptions): RequestHandler[] {
  const intake = createIntake(deps);
  const { securityHeadersFor, limit } = options;
  // No JSON parser runs before verification: the signature covers the raw bytes, whatever their type.
  const readBody = bodyParser.raw({ type: () => true, limit: deps.config.maxBodyBytes });

  // One handler for what ran as three app-wide layers: a throw here reaches recordBodyError, which passes
  // our AppErrors on unrecorded, as before.
  const admit: RequestHandler = (req, res, next) => {
    res.setHeaders(securityHeadersFor(req.url));
    assertHost(req);
    limit?.(req);
    readBody(req, res, next);
  };

  const receive = async (req: Request, res: Response): Promise<void> => {
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const { id, duplicate, rule } = await intake.receive(req.headers, body, (eventType) => deps.responseRules.take(eventType));
    if (!rule) {
      res.status(200).json({ received: true, id, duplicate });
      return;
    }
    // A mock response (issue 16.4): recorded like any other event, answered as the rule says.
    if (rule.delayMs) await deps.sleep(rule.delayMs);
    res.status(rule.status).set(rule.headers ?? {});
    res.setHeader('x-webhook-response-rule', rule.id);
    if (rule.body === undefined) res.end();
    else if (typeof rule.body === 'string') res.type(res.get('content-type') ?? 'text/plain').send(rule.body);
    else res.json(rule.body);
  };

  // A body that could not be read (too large, aborted, bad encoding) is recorded as rejected too, so the
  // history shows why a webhook never arrived; the error handler then answers it.
  const recordBodyError: ErrorRequestHandler = (error, req, _res, next) => {
    if (error instanceof AppError) {
      next(error); // thrown by the intake, which has recorded it already
      return;
    }
    const appError = toAppError(error, deps.config.maxBodyBytes);
    if (appError.status < 500 && appError.code !== 'request.aborted') intake.recordRejection(req.headers, undefined, appError);
    next(appError);
  };

  // An error handler in a route's own stack sees the errors of the handlers before it, as `router.use` did.
  return [admit, receive, recordBodyError as unknown as RequestHandler];
}
