import { isoTime } from '../src/iso-time';

describe('isoTime', () => {
  it('answers toISOString for every millisecond, repeated or not', () => {
    for (const ms of [0, 0, 1, 1_764_650_000_123, 1_764_650_000_123, 1_764_650_000_124, 5]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});
