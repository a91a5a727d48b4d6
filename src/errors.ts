/**
 * An error that knows how it is answered: HTTP status, a dotted machine-readable code and whether its
 * message may be shown to the client (`expose`). Modelled on the `http-errors` objects that express and
 * body-parser throw (`status`, `type`, `expose`).
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;
  /** Extra response headers, e.g. `Retry-After` on a 429. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { expose?: boolean; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.expose = options.expose ?? status < 500;
    this.headers = options.headers ?? {};
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(404, 'not_found', message);
  }
}

/** A request whose input fails validation: 400 `request.invalid`, naming every bad field. */
export class ValidationError extends AppError {
  readonly fields: readonly { field: string; message: string }[];

  constructor(fields: { field: string; message: string }[]) {
    super(400, 'request.invalid', fields.map((f) => `${f.field}: ${f.message}`).join('; '));
    this.fields = fields;
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

/**
 * A write (or read) failed while handling a request: disk full, I/O error, database locked. Answered 503 so
 * the sender retries later; never a 200 for an event that was not stored. The cause is logged, not shown.
 */
export class StorageUnavailableError extends AppError {
  constructor(cause: unknown) {
    super(503, 'storage.unavailable', 'The event could not be stored right now; retry later.', {
      expose: true,
      headers: { 'Retry-After': '5' },
      cause,
    });
  }
}

/** A failure as answered: an `AppError` as it is, anything else a `StorageUnavailableError`. */
export function storageError(error: unknown): AppError {
  return error instanceof AppError ? error : new StorageUnavailableError(error);
}

/** Awaits `operation`; any failure that is not already an `AppError` becomes a `StorageUnavailableError`. */
export async function stored<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw storageError(error);
  }
}
