import { ValidationError } from './errors';

/**
 * The bound a page starts below: a cursor is the sequence number of the previous page's last item, and the
 * first page (no cursor) starts below every sequence number. Every store (history and deliveries, memory
 * and SQLite) issues and reads cursors this way.
 */
export function pageBefore(cursor: string | undefined): number {
  return cursor === undefined ? Number.MAX_SAFE_INTEGER : cursorSeq(cursor);
}

/** The sequence number a page listed oldest first (endpoints) starts after: 0 for the first page, else the cursor. */
export function pageAfter(cursor: string | undefined): number {
  return cursor === undefined ? 0 : cursorSeq(cursor);
}

function cursorSeq(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw new ValidationError([{ field: 'cursor', message: 'is not a cursor this server issued' }]);
  return Number(cursor);
}
