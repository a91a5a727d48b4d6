import type { RequestHandler } from 'express';
import { AppError } from '../errors';

/**
 * 405 with `Allow` (RFC 9110 §15.5.6) for a path that exists but not with this method: a 404 "No route" for
 * `GET /webhook/receive` reads as if the URL were wrong, when only the method is. `hint` says what to do instead.
 */
export function methodNotAllowed(allowed: readonly string[], hint: string): RequestHandler {
  const allow = allowed.join(', ');
  return function methodNotAllowed(req) {
    throw new AppError(405, 'method.not_allowed', `${req.method} ${req.path} is not supported: use ${allowed.join(' or ')}. ${hint}`, {
      headers: { Allow: allow },
    });
  };
}
