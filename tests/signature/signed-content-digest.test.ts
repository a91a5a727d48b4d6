import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { signedContentDigest } from '../../src/signature/crypto';

/** The streaming SHA-256 of the parts, as the replay keys were always made (the keys stored must not change). */
const streamed = (parts: (string | Buffer)[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

describe('signedContentDigest', () => {
  it('is the SHA-256 of the parts one after another, strings as UTF-8, whatever their sizes', () => {
    const part = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.uint8Array({ maxLength: 3000 }).map((bytes) => Buffer.from(bytes)));
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        expect(signedContentDigest(...parts)).toBe(streamed(parts));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same digest for content past its one-call buffer, and right after it', () => {
    const big = Buffer.alloc(200_000, 0x61);
    const small = Buffer.from('{"n":1}');
    expect(signedContentDigest('1764650000.', big)).toBe(streamed(['1764650000.', big]));
    expect(signedContentDigest('1764650000.', small)).toBe(streamed(['1764650000.', small]));
    expect(signedContentDigest('msg_é.1764650000.', Buffer.alloc(65_536 - 18, 0x62))).toBe(streamed(['msg_é.1764650000.', Buffer.alloc(65_536 - 18, 0x62)]));
  });
});
