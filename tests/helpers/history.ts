import type { HistoryEntry } from '../../src/history/store';

/** A history entry with plausible defaults; override what the test is about. */
export function historyEntry(overrides: Partial<HistoryEntry> & Pick<HistoryEntry, 'id'>): HistoryEntry {
  const status = overrides.status ?? 'accepted';
  return {
    receivedAt: '2026-11-29T12:00:00.000Z',
    eventType: 'user.created',
    scheme: 'native',
    status,
    verification: status === 'accepted' ? { ok: true, reason: null } : { ok: false, reason: 'signature.mismatch' },
    headers: {},
    payload: {},
    sizeBytes: 2,
    duplicates: 0,
    processing: status === 'accepted' ? { state: 'pending' } : null,
    ...overrides,
  };
}
