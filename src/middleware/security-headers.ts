import type { Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's headers, computed once. helmet runs a chain of a dozen small middlewares on every request, each
 * setting one header that never changes with our options (no CSP nonces, no functions in directives); on
 * the receive path that chain cost about 8 % of the CPU. So helmet runs once here against a recording
 * response, and every request gets the recorded headers in one `setHeaders` call: the same headers, still
 * maintained by helmet.
 */
export function securityHeaders(options: Readonly<HelmetOptions>): RequestHandler {
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

  return function securityHeaders(_req, res, next) {
    res.setHeaders(headers);
    next();
  };
}
