import path from 'node:path';
import express, { Router, type RequestHandler, type Response } from 'express';
import type { AppDeps } from '../deps';
import { AppError } from '../errors';
import { isLocalHost } from '../middleware/auth';
import { isLoopback } from '../security/address-rules';
import { resolvePublicDir } from '../ui/assets';

/**
 * The page needs nothing but its own files and the API: a strict policy, so even a payload that slipped
 * past `textContent` could not run script or load anything from elsewhere.
 */
export const PAGE_CSP = "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

function securityHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy': PAGE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
}

/**
 * The history page: `GET /`, and `GET /webhook/history` when the client prefers HTML (a browser); JSON
 * stays the answer for API clients and curl, whose `Accept: *\/*` picks the first offer, JSON. Static files
 * live under `/ui/`.
 */
export function uiRouter({ config, clientAddress }: AppDeps, guard: RequestHandler): Router {
  const router = Router();
  const publicDir = resolvePublicDir();

  /**
   * What the page shows in its empty state and replay form. The signing secret only goes to a browser on
   * this machine (loopback address and a local Host, the rule of the admin guard without a token), so the
   * ready-to-paste command works at once there, and a page opened from elsewhere with ADMIN_TOKEN never
   * carries it.
   */
  router.get('/ui/config', guard, (req, res) => {
    const local = isLoopback(clientAddress(req)) && isLocalHost(req.headers.host);
    res.set('Cache-Control', 'no-store');
    res.json({
      receivePath: '/webhook/receive',
      forwardUrl: config.forwardUrl === '' ? null : config.forwardUrl,
      secret: local ? config.secrets[0] : null,
      secretGenerated: config.secretGenerated,
    });
  });

  const sendPage: RequestHandler = (_req, res) => {
    if (publicDir === undefined) {
      throw new AppError(503, 'ui.unavailable', 'The page files were not found; run `npm run build` (it copies src/ui/public to dist/ui/public).');
    }
    securityHeaders(res);
    res.set('Cache-Control', 'no-cache');
    res.sendFile(path.join(publicDir, 'index.html'));
  };

  const wantsHtml: RequestHandler = (req, res, next) => {
    res.vary('Accept');
    next(req.accepts(['json', 'html']) === 'html' ? undefined : 'route');
  };

  router.get('/', guard, sendPage);
  router.get('/webhook/history', wantsHtml, sendPage); // already behind the admin guard (ADMIN_PATHS)
  if (publicDir !== undefined) {
    router.use(
      '/ui',
      guard,
      express.static(publicDir, {
        index: false,
        fallthrough: true,
        setHeaders: (res) => {
          securityHeaders(res);
          res.setHeader('Cache-Control', 'no-cache');
        },
      }),
    );
  }
  return router;
}
