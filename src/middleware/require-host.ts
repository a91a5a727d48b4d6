import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors';

/**
 * HTTP/1.1 requires a Host header (RFC 9112 section 3.2). Node refuses a request without one itself, with
 * an empty 400; server.ts turns that off (`requireHostHeader: false`) so the refusal is answered here, with
 * the JSON error body every other error has. Throws 400 `request.host_missing`.
 */
export function assertHost(req: Request): void {
  if (req.httpVersion !== '1.0' && (req.headers.host === undefined || req.headers.host === '')) {
    throw new AppError(400, 'request.host_missing', 'An HTTP/1.1 request must carry a Host header.');
  }
}

/** `assertHost` as the app-wide middleware. */
export function requireHost(): RequestHandler {
  return function requireHost(req, _res, next) {
    assertHost(req);
    next();
  };
}
