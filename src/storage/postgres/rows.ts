import type { QueryResult, QueryResultRow } from 'pg';
import type { HistoryEntry, ProcessingState } from '../../history/store';

/** A history row as the stores read it (`seq` is a BIGINT: node-postgres hands it over as a string). */
export interface HistoryRow {
  seq: string;
  entry: string;
  duplicates: number;
  processing: ProcessingState | null;
  weight: number;
}

export const ROW_COLUMNS = 'seq, entry, duplicates, processing, weight';

export function toEntry(row: HistoryRow): HistoryEntry {
  const entry = JSON.parse(row.entry) as HistoryEntry;
  entry.duplicates = row.duplicates;
  entry.processing = row.processing;
  return entry;
}

/** What runs a query: the pool, a checked-out client, or a unit of the group commit. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}
