import type { Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The headers for answers to machines (webhook senders): a JSON body no browser renders, so the page-oriented
 * half of helmet (COOP, CORP, Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options, ...) protects
 * nothing there, while each header costs on the busiest route (about 8 µs of ~140 per webhook, measured).
 * This is the OWASP REST Security Cheat Sheet's set for API responses.
 */
export const MACHINE_HEADERS = new Map<string, string>([
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['X-Content-Type-Options', 'nosniff'],
  ['Cache-Control', 'no-store'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
]);

/** The security headers an answer to a request at `url` (path and query) carries. */
export type SecurityHeadersFor = (url: string) => Map<string, string>;

/**
 * helmet's headers, computed once. helmet runs a chain of a dozen small middlewares on every request, each
 * setting one header that never changes with our options (no CSP nonces, no functions in directives); on
 * the receive path that chain cost about 8 % of the CPU. So helmet runs once here against a recording
 * response, and every request gets the recorded headers in one `setHeaders` call: the same headers, still
 * maintained by helmet.
 */
export function helmetHeaders(options: Readonly<HelmetOptions>): Map<string, string> {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers.set(name, String(value));
      return recorder;
    },
    removeHeader() {
      // X-Powered-By: Express's own is disabled in app.ts
    },
  };
  let failure: unknown;
  helmet(options)({} as Request, recorder as unknown as Response, (error?: unknown) => {
    failure = error;
  });
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
  return headers;
}

/** Which set a URL gets: `MACHINE_HEADERS` under one of `machinePaths` (a plain prefix test), helmet's elsewhere. */
export function securityHeadersFor(options: Readonly<HelmetOptions>, { machinePaths = [] }: { machinePaths?: readonly string[] } = {}): SecurityHeadersFor {
  const page = helmetHeaders(options);
  return (url) => (machinePaths.some((path) => url.startsWith(path)) ? MACHINE_HEADERS : page);
}

/** Sets the security headers on every answer, before anything else runs. */
export function securityHeaders(headersFor: SecurityHeadersFor): RequestHandler {
  return function securityHeaders(req, res, next) {
    res.setHeaders(headersFor(req.url));
    next();
  };
}
