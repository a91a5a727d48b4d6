const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACE = 0x7d; // }
const CLOSE_BRACKET = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth` (`{}` and `[]` are depth 1, a scalar 0).
 * A loop over the bytes with one counter: no recursion, so no input can exhaust the stack, and it stops at the
 * first byte past the limit. Bytes inside strings are skipped (a UTF-8 continuation byte never equals an
 * ASCII quote, backslash or bracket, so scanning bytes is exact). It does not validate: run it on text that
 * `JSON.parse` accepts, or before parsing it. Why: a body nested a few thousand levels parses, but then every
 * `JSON.stringify` of its history entry overflows the stack (issue 11).
 */
export function exceedsJsonDepth(text: Buffer, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const byte = text[i];
    if (inString) {
      if (byte === BACKSLASH) i += 1; // the escaped character, whatever it is, cannot end the string
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}
