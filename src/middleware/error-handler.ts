import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, NotFoundError } from '../errors';

/** body-parser's error `type`s, as this API names them. */
const BODY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.too.large': { status: 413, code: 'body.too_large', message: 'The request body is larger than the limit.' },
  'entity.parse.failed': { status: 400, code: 'body.invalid_json', message: 'The request body is not valid JSON.' },
  'entity.verify.failed': { status: 400, code: 'body.invalid', message: 'The request body was refused.' },
  'request.aborted': { status: 400, code: 'request.aborted', message: 'The client closed the request before the body arrived.' },
  'request.size.invalid': { status: 400, code: 'body.size_mismatch', message: 'The body size does not match Content-Length.' },
  'encoding.unsupported': { status: 415, code: 'body.unsupported_encoding', message: 'The Content-Encoding is not supported.' },
  'charset.unsupported': { status: 415, code: 'body.unsupported_charset', message: 'The charset is not supported.' },
  'stream.encoding.set': { status: 500, code: 'internal_error', message: 'Internal server error.' },
};

/**
 * Turns any error into an `AppError`: ours pass through, body-parser's are named, the rest become a 500
 * whose message says nothing about the internals.
 */
export function toAppError(error: unknown, maxBodyBytes?: number): AppError {
  if (error instanceof AppError) return error;
  const type = (error as { type?: unknown } | null)?.type;
  const known = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
  if (known) {
    // body-parser puts the limit that was hit on the error: the management API's differs from receive's.
    const errorLimit = (error as { limit?: unknown }).limit;
    const limit = typeof errorLimit === 'number' ? errorLimit : maxBodyBytes;
    const message =
      type === 'entity.too.large' && limit !== undefined ? `The request body is larger than the limit of ${limit} bytes.` : known.message;
    return new AppError(known.status, known.code, message, { cause: error });
  }
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status, 'request.invalid', 'The request could not be read.', { cause: error });
  }
  return new AppError(500, 'internal_error', 'Internal server error.', { expose: false, cause: error });
}

export const notFound: RequestHandler = (req) => {
  throw new NotFoundError(`No route for ${req.method} ${req.path}.`);
};

/** The one error middleware: every error answers `{"error": {"code", "message"}}`. */
export function errorHandler(logger: Logger, maxBodyBytes?: number): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const appError = toAppError(error, maxBodyBytes);
    if (appError.status >= 500) {
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    }
    res.status(appError.status).set(appError.headers).json({
      error: { code: appError.code, message: appError.expose ? appError.message : 'Internal server error.' },
    });
  };
}
