import { exceedsJsonDepth } from '../../src/intake/json-depth';

const nested = (depth: number, open = '[', close = ']'): Buffer => Buffer.from(open.repeat(depth) + close.repeat(depth));

describe('exceedsJsonDepth', () => {
  it('counts arrays and objects: depth 64 is within a limit of 64, depth 65 is not', () => {
    expect(exceedsJsonDepth(nested(64), 64)).toBe(false);
    expect(exceedsJsonDepth(nested(65), 64)).toBe(true);
    expect(exceedsJsonDepth(Buffer.from('{"a":{"b":[1]}}'), 3)).toBe(false);
    expect(exceedsJsonDepth(Buffer.from('{"a":{"b":[1]}}'), 2)).toBe(true);
  });

  it('treats a scalar as depth 0', () => {
    expect(exceedsJsonDepth(Buffer.from('"x"'), 1)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth(Buffer.from(JSON.stringify({ s: '[[[[{{{{' })), 1)).toBe(false);
    expect(exceedsJsonDepth(Buffer.from(JSON.stringify({ s: 'a\\"[[[[' })), 1)).toBe(false);
    expect(exceedsJsonDepth(Buffer.from(JSON.stringify({ s: '\\' , t: [[1]] })), 2)).toBe(true);
  });

  it('measures siblings, not their sum', () => {
    expect(exceedsJsonDepth(Buffer.from('[[1],[2],[3],{"a":[4]}]'), 3)).toBe(false);
  });

  it('handles a million levels without recursion (no stack overflow)', () => {
    expect(exceedsJsonDepth(nested(1_000_000), 64)).toBe(true);
    expect(exceedsJsonDepth(nested(1_000_000), 2_000_000)).toBe(false);
  });
});
