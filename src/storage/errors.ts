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
