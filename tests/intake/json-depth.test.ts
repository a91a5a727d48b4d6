import fc from 'fast-check';
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

describe('exceedsJsonDepth against a plain byte loop', () => {
  /** The loop this module replaced: one byte at a time, a backslash in a string skips the next byte. */
  const reference = (text: Buffer, maxDepth: number): boolean => {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < text.length; i += 1) {
      const byte = text[i];
      if (inString) {
        if (byte === 0x5c) i += 1;
        else if (byte === 0x22) inString = false;
      } else if (byte === 0x22) inString = true;
      else if (byte === 0x7b || byte === 0x5b) {
        depth += 1;
        if (depth > maxDepth) return true;
      } else if (byte === 0x7d || byte === 0x5d) depth -= 1;
    }
    return false;
  };

  it('gives the same answer on any bytes, valid JSON or not', () => {
    // Made of the bytes that matter, so brackets, quotes and backslash runs meet in every order.
    const text = fc.array(fc.constantFrom('{', '}', '[', ']', '"', '\\', 'a', ',', 'é'), { maxLength: 80 }).map((chars) => Buffer.from(chars.join('')));
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 12 }), (bytes, maxDepth) => {
        expect(exceedsJsonDepth(bytes, maxDepth)).toBe(reference(bytes, maxDepth));
      }),
      { numRuns: 5000 },
    );
  });

  it('gives the same answer on JSON documents, nested or wide', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, maxDepth) => {
        const bytes = Buffer.from(JSON.stringify(value) ?? 'null');
        expect(exceedsJsonDepth(bytes, maxDepth)).toBe(reference(bytes, maxDepth));
      }),
      { numRuns: 2000 },
    );
  });
});
