import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { DeliveryRecord } from '../../sender/delivery-store';

/**
 * A delivery waiting for its retry in the memory outbox, packed: its record (as JSON) and its body, deflated
 * together into one Latin-1 string (a string of bytes: one byte a character, a 16-byte header, no Buffer object,
 * no pooled slab pinned). Issue 13 item 4: 100,000 waiting deliveries under 100 MB. As objects, one waiting
 * delivery with a 1 KB JSON body held 2.2 KB (bench/pending-memory.js): the record 0.5 KB even as flat JSON, the
 * body 1.2 KB (its slice pins a share of an 8 KB pool slab), its Buffer object 96 B.
 *
 * Deflate with a preset dictionary (RFC 1951, zlib's `dictionary`): the record of a waiting delivery differs from
 * another's in its ids and times only, and the bodies of one event type share their keys and much of their
 * values. So the first delivery packed of each event type becomes that type's dictionary (kept for the life of
 * the store, at most `MAX_DICTIONARIES` of `MAX_DICTIONARY_BYTES`); beyond those, a template record serves. A
 * packed record then costs about 70 B; with a 1 KB order event as its body, about 200 B in all (random bytes in
 * base64: about 0.8 of their size).
 * Packing costs about 20 µs and unpacking 10 µs, paid only by a delivery whose attempt failed, and by reads of one
 * that waits. A dictionary holds the bytes of one delivery after it is gone: in this process's memory only, as the
 * bodies themselves are (the per-request secret is not in it: it stays beside the packed bytes).
 */

/** At most this many event types get a dictionary of their own. */
export const MAX_DICTIONARIES = 64;
/** A dictionary is the first packed delivery of its type, cut to this size (deflate's window is 32 KB). */
export const MAX_DICTIONARY_BYTES = 8 * 1024;

const TEMPLATE_TIME = '2026-01-01T00:00:00.000Z';
/** What a waiting record looks like, for the types past `MAX_DICTIONARIES`. */
const TEMPLATE = Buffer.from(
  `${JSON.stringify({
    id: 'dlv_',
    eventId: 'evt_',
    url: 'https://',
    eventType: '',
    scheme: 'native',
    source: { kind: 'send' },
    status: 'pending',
    createdAt: TEMPLATE_TIME,
    updatedAt: TEMPLATE_TIME,
    maxAttempts: 5,
    timeoutMs: 10000,
    attempts: [{ number: 1, series: 1, startedAt: TEMPLATE_TIME, durationMs: 0, statusCode: 500, responseBody: '' }],
    nextAttemptAt: TEMPLATE_TIME,
    error: null,
  })}\n{"`,
);

/** One packed delivery: the deflated bytes, and the dictionary they need (shared with others of its type). */
export interface PackedDelivery {
  readonly data: string;
  readonly dictionary: Buffer;
}

const NEWLINE = 0x0a;

export class DeliveryPacker {
  private readonly dictionaries = new Map<string, Buffer>();

  /** The record's JSON, a newline (JSON.stringify writes none), then the body's bytes, deflated. */
  pack(record: DeliveryRecord, body: Buffer): PackedDelivery {
    const plain = Buffer.concat([Buffer.from(`${JSON.stringify(record)}\n`), body]);
    const dictionary = this.dictionaryFor(record.eventType, plain);
    return { data: deflateRawSync(plain, { dictionary }).toString('latin1'), dictionary };
  }

  /** The record (a new object) and the body (its own exact-size Buffer, not a view of zlib's 16 KB chunk). */
  unpack(data: string, dictionary: Buffer): { record: DeliveryRecord; body: Buffer } {
    const plain = inflateRawSync(Buffer.from(data, 'latin1'), { dictionary });
    const newline = plain.indexOf(NEWLINE);
    const body = Buffer.allocUnsafeSlow(plain.length - newline - 1);
    plain.copy(body, 0, newline + 1);
    return { record: JSON.parse(plain.toString('utf8', 0, newline)) as DeliveryRecord, body };
  }

  private dictionaryFor(eventType: string, plain: Buffer): Buffer {
    const known = this.dictionaries.get(eventType);
    if (known) return known;
    if (this.dictionaries.size >= MAX_DICTIONARIES) return TEMPLATE;
    // A copy of its own: `plain` may be larger, and a view (or a pool slice) would keep more than it.
    const dictionary = Buffer.allocUnsafeSlow(Math.min(plain.length, MAX_DICTIONARY_BYTES));
    plain.copy(dictionary, 0, 0, dictionary.length);
    this.dictionaries.set(eventType, dictionary);
    return dictionary;
  }
}
