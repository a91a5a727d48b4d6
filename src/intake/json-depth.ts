const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACE = 0x7d; // }
const CLOSE_BRACKET = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth` (`{}` and `[]` are depth 1, a scalar 0).
 * No recursion, so no input can exhaust the stack, and it stops at the first byte past the limit. Bytes inside
 * strings are skipped (a UTF-8 continuation byte never equals an ASCII quote, backslash or bracket, so scanning
 * bytes is exact). It does not validate: run it on text that `JSON.parse` accepts, or before parsing it; its
 * answer on any bytes is the same as a plain byte loop's (tests/intake/json-depth.test.ts checks that). Why:
 * a body nested a few thousand levels parses, but then every `JSON.stringify` of its history entry overflows
 * the stack (issue 11).
 *
 * Fast where it can be (issue 13: 2.4 µs per 1 KB webhook with the plain loop): text with no more opening
 * brackets in all than `maxDepth` cannot nest deeper, and counting them is a few native `indexOf` calls; the
 * others are scanned with strings skipped by `indexOf` too.
 */
export function exceedsJsonDepth(text: Buffer, maxDepth: number): boolean {
  return !atMostOpenings(text, maxDepth) && scan(text, maxDepth);
}

/** Whether `text` holds at most `limit` bytes `{` and `[`, anywhere. Stops counting past the limit. */
function atMostOpenings(text: Buffer, limit: number): boolean {
  let count = 0;
  for (let i = text.indexOf(OPEN_BRACE); i >= 0; i = text.indexOf(OPEN_BRACE, i + 1)) if (++count > limit) return false;
  for (let i = text.indexOf(OPEN_BRACKET); i >= 0; i = text.indexOf(OPEN_BRACKET, i + 1)) if (++count > limit) return false;
  return true;
}

/** The depth scan: brackets outside strings; a string runs to the next quote not escaped by an odd run of backslashes. */
function scan(text: Buffer, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const byte = text[i];
    if (byte === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) return false; // unterminated: nothing after it counts
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * The index of the quote that ends the string opened at `open`, or -1. A quote is escaped when an odd run of
 * backslashes precedes it: what reading left to right (a backslash escapes the next byte) decides too, since
 * the byte before the run is not a backslash (the opening quote at worst).
 */
function stringEnd(text: Buffer, open: number): number {
  for (let from = open + 1; ; ) {
    const quote = text.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    let before = quote - 1;
    while (text[before] === BACKSLASH) before -= 1;
    if ((quote - 1 - before) % 2 === 0) return quote;
    from = quote + 1;
  }
}
