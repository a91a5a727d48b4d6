import { isoTime } from '../src/iso-time';

describe('isoTime', () => {
  it('answers toISOString for every millisecond, repeated, alternating or not', () => {
    for (const ms of [0, 0, 1, 0, 1, 1_764_650_000_123, 1_764_650_000_123, 1_764_650_000_124, 1_764_650_000_123, 5, 1]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
