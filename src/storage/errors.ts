import { AppError } from '../errors';

/**
 * The database could not be opened, read or migrated at start-up (corrupt file, unwritable folder, a schema
 * from a newer version). Like `ConfigError`, it stops start-up with a message naming the path, exit code 1.
 */
export class StorageOpenError extends Error {
  readonly path: string;

  constructor(path: string, reason: string, options: { cause?: unknown } = {}) {
    super(`Cannot use the SQLite database at ${path} (SQLITE_PATH): ${reason}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageOpenError';
    this.path = path;
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

/** Runs `fn`; any failure that is not already an `AppError` becomes a `StorageUnavailableError`. */
export function guardStorage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw storageError(error);
  }
}
