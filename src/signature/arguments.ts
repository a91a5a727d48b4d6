/**
 * Argument checks for the `sign*` functions. Misuse (a missing secret, a timestamp in ms, a parsed object
 * where raw bytes belong) throws `TypeError` at once, as octokit's `sign()` does; a signature that merely
 * does not match is never an exception.
 */

export function assertSecret(secret: unknown): asserts secret is string {
  if (typeof secret !== 'string' || secret === '') throw new TypeError('secret must be a non-empty string');
}

/** Whole seconds since the epoch, as a number or a string of digits. */
export function assertTimestampSeconds(timestampSeconds: unknown): asserts timestampSeconds is number | string {
  const valid =
    (typeof timestampSeconds === 'number' && Number.isSafeInteger(timestampSeconds) && timestampSeconds >= 0) ||
    (typeof timestampSeconds === 'string' && /^\d{1,15}$/.test(timestampSeconds));
  if (!valid) throw new TypeError('timestampSeconds must be a non-negative integer number of seconds since the epoch');
}

/** The raw body: a Buffer or a string (signed as its UTF-8 bytes). A parsed object cannot be signed. */
export function assertBody(body: unknown): asserts body is Buffer | string {
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) {
    throw new TypeError('body must be the raw body as a Buffer or a string, not a parsed object');
  }
}
