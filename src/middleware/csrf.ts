import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors';

/** Methods that change state: the ones a cross-site form or script must never get through. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Whether a request comes from this origin, or from a client that is no browser.
 *
 * - `Sec-Fetch-Site` (every current browser sends it): `same-origin` passes, and `none` (the user's own
 *   action: typed URL, bookmark); `same-site` (another port or subdomain) and `cross-site` do not.
 * - Else `Origin` (older browsers): it must name this server's host (`req.host`, which honours TRUST_PROXY's
 *   X-Forwarded-Host); `null` (sandboxed frames, file: pages, redirects) does not pass.
 * - Neither header: curl, an SDK, a test: no ambient browser credentials, so nothing to forge.
 */
export function isSameOriginOrNonBrowser(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.get('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.host;
  } catch {
    return false; // `null` and anything else that is no URL
  }
}

/**
 * Refuses state-changing requests (send, replay, retry, delete, and whatever POST, PUT, PATCH or DELETE is
 * added under the admin paths later) that a page on another origin made a browser send: with loopback-only
 * access, any web page the developer opens could otherwise post to `localhost:3005`, and with Basic
 * credentials cached the browser attaches them. 403 `csrf.rejected`. Reads pass: the browser does not
 * let the other page read the answer (no CORS headers).
 */
export function rejectCrossSite(): RequestHandler {
  return function rejectCrossSite(req, _res, next) {
    if (!STATE_CHANGING.has(req.method) || isSameOriginOrNonBrowser(req)) return next();
    throw new AppError(
      403,
      'csrf.rejected',
      'A state-changing request from another origin is refused. Send it from this server\'s own page, or from a client that is not a browser (no Origin and no Sec-Fetch-Site header).',
    );
  };
}
