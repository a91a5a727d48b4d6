import bodyParser from 'body-parser';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { AppDeps } from '../deps';
import { AppError } from '../errors';
import { createIntake, type IntakeAnswer } from '../intake/intake';
import { toAppError } from '../middleware/error-handler';
import type { RateLimiter } from '../middleware/rate-limit';
import { assertHost } from '../middleware/require-host';
import type { SecurityHeadersFor } from '../middleware/security-headers';
import type { ResponseRule } from '../mocking/response-rules';

/** Where the receive route is mounted (SPEC.md section 1). */
export const RECEIVE_PATH = '/webhook/receive';

/** The body of a request that had none (body-parser leaves `req.body` undefined then): empty, never written to. */
const EMPTY_BODY = Buffer.alloc(0);

/**
 * Writes the 200 of an accepted webhook (SPEC.md section 1) with the least work: the security headers and the
 * Content-Type flattened once per header set, and the status, headers and body in one `writeHead` and one
 * `end` (one socket write; Node adds Date, Connection and Keep-Alive), where `res.status().json()` after
 * `res.setHeaders()` went through Express's status check, our json's dozen checks and a `setHeader` (name
 * and value validation, a lower-cased copy, an entry object) per header. The bytes are those `res.json`
 * wrote after the app-wide middleware (tests/routes/receive-wire.test.ts).
 */
export function acceptedAnswer(securityHeadersFor: SecurityHeadersFor): (req: Request, res: Response, answer: IntakeAnswer) => void {
  const flattened = new Map<Map<string, string>, string[]>();
  const headersFor = (url: string): string[] => {
    const set = securityHeadersFor(url);
    let headers = flattened.get(set);
    if (!headers) {
      headers = [...[...set].flat(), 'Content-Type', 'application/json; charset=utf-8', 'Content-Length', ''];
      flattened.set(set, headers);
    }
    return headers;
  };
  return (req, res, { id, duplicate }) => {
    const text = `{"received":true,"id":${JSON.stringify(id)},"duplicate":${duplicate ? 'true' : 'false'}}`;
    const headers = headersFor(req.url);
    // The length's slot is filled per answer: writeHead turns the array into the header block at once and
    // keeps no reference to it, so sharing the array is safe.
    headers[headers.length - 1] = String(Buffer.byteLength(text));
    res.writeHead(200, headers);
    res.end(text);
  };
}

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

  const answerAccepted = acceptedAnswer(securityHeadersFor);
  const chooseResponse = (eventType: string | null): ResponseRule | undefined => deps.responseRules.take(eventType);

  // One handler for what ran as three app-wide layers: a throw here reaches recordError, which passes our
  // AppErrors on unrecorded, as before. The security headers are not set here but with the answer: in one
  // writeHead with the 200, by recordError for an error, by answerByRule for a mock response.
  const admit: RequestHandler = (req, res, next) => {
    assertHost(req);
    limit?.(req);
    readBody(req, res, next);
  };

  // Not an async function: Express 5 would chain a handler of its own to the promise it returns, one more
  // promise and microtask per webhook; the intake's rejections go straight to `next`.
  const receive: RequestHandler = (req, res, next) => {
    const body: Buffer = Buffer.isBuffer(req.body) ? req.body : EMPTY_BODY;
    intake.receive(req.headers, body, chooseResponse).then((answer) => {
      try {
        if (answer.rule) answerByRule(req, res, answer.rule).catch(next);
        else answerAccepted(req, res, answer);
      } catch (error) {
        next(error);
      }
    }, next);
  };

  // A mock response (issue 16.4): recorded like any other event, answered as the rule says.
  async function answerByRule(req: Request, res: Response, rule: ResponseRule): Promise<void> {
    res.setHeaders(securityHeadersFor(req.url));
    if (rule.delayMs) await deps.sleep(rule.delayMs);
    res.status(rule.status).set(rule.headers ?? {});
    res.setHeader('x-webhook-response-rule', rule.id);
    if (rule.body === undefined) res.end();
    else if (typeof rule.body === 'string') res.type(res.get('content-type') ?? 'text/plain').send(rule.body);
    else res.json(rule.body);
  }

  // Every error of the route passes here: it gets the security headers the app-wide middleware would have set
  // (first, as they were), and a body that could not be read (too large, aborted, bad encoding) is recorded as
  // rejected too, so the history shows why a webhook never arrived; the error handler then answers it.
  const recordError: ErrorRequestHandler = (error, req, res, next) => {
    if (!res.headersSent && !res.hasHeader('content-security-policy')) res.setHeaders(securityHeadersFor(req.url));
    if (error instanceof AppError) {
      next(error); // thrown by the intake, which has recorded it already, or by admit
      return;
    }
    const appError = toAppError(error, deps.config.maxBodyBytes);
    if (appError.status < 500 && appError.code !== 'request.aborted') intake.recordRejection(req.headers, undefined, appError);
    next(appError);
  };

  // An error handler in a route's own stack sees the errors of the handlers before it, as `router.use` did.
  return [admit, receive, recordError as unknown as RequestHandler];
}
