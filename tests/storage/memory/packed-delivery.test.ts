import { DeliveryPacker, MAX_DICTIONARIES } from '../../../src/storage/memory/packed-delivery';
import type { DeliveryRecord } from '../../../src/sender/delivery-store';

const T0 = Date.UTC(2026, 11, 2, 6, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();

function waiting(n: number, eventType = 'order.paid'): DeliveryRecord {
  return {
    id: `dlv_${n.toString(16).padStart(32, '0')}`,
    eventId: `evt_${(n * 7919).toString(16).padStart(32, '0')}`,
    url: 'https://shop.example/hooks/orders',
    eventType,
    scheme: 'native',
    source: { kind: 'send' },
    status: 'pending',
    createdAt: iso(T0 + n),
    updatedAt: iso(T0 + n + 40),
    maxAttempts: 5,
    timeoutMs: 10_000,
    attempts: [{ number: 1, series: 1, startedAt: iso(T0 + n + 1), durationMs: 38, statusCode: 503, responseBody: 'busy' }],
    nextAttemptAt: iso(T0 + n + 61_000),
    error: null,
  };
}

const order = (n: number): Buffer =>
  Buffer.from(JSON.stringify({ id: `ord_${n}`, status: 'paid', amount: 1000 + n, customer: { email: `c${n}@example.com`, name: 'Ada Lovelace' }, items: [{ sku: `SKU-${n}`, quantity: 1 }] }));

describe('DeliveryPacker', () => {
  it('gives back the record and the exact bytes of the body', () => {
    const packer = new DeliveryPacker();
    const record = { ...waiting(1, 'é.✓'), url: 'http://[::1]:8080/ü?x=1\n' };
    const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31) % 256));
    const packed = packer.pack(record, body);
    const unpacked = packer.unpack(packed.data, packed.dictionary);
    expect(unpacked.record).toEqual(record);
    expect(Buffer.compare(unpacked.body, body)).toBe(0);
  });

  it('gives back an empty body, and a body larger than a dictionary', () => {
    const packer = new DeliveryPacker();
    for (const body of [Buffer.alloc(0), Buffer.from('x'.repeat(100_000)), Buffer.from('{"n":1}\n{"n":2}\n')]) {
      const packed = packer.pack(waiting(2), body);
      expect(packer.unpack(packed.data, packed.dictionary).body.toString()).toBe(body.toString());
    }
  });

  it('shares one dictionary per event type, so a second delivery of a type packs into a fraction of its size', () => {
    const packer = new DeliveryPacker();
    const first = packer.pack(waiting(1), order(1));
    const second = packer.pack(waiting(2), order(2));
    expect(second.dictionary).toBe(first.dictionary);
    const plainBytes = Buffer.byteLength(JSON.stringify(waiting(2))) + order(2).length;
    expect(second.data.length).toBeLessThan(plainBytes / 4);
    expect(packer.unpack(second.data, second.dictionary).body.toString()).toBe(order(2).toString());
  });

  it('keeps at most MAX_DICTIONARIES dictionaries, and packs every further type with the template', () => {
    const packer = new DeliveryPacker();
    const dictionaries = new Set<Buffer>();
    for (let type = 0; type < MAX_DICTIONARIES + 10; type += 1) {
      const packed = packer.pack(waiting(type, `type.${type}`), order(type));
      dictionaries.add(packed.dictionary);
      expect(packer.unpack(packed.data, packed.dictionary).record).toEqual(waiting(type, `type.${type}`));
    }
    expect(dictionaries.size).toBe(MAX_DICTIONARIES + 1);
  });

  it('holds the packed bytes in a string of one byte per character, not a Buffer', () => {
    const packer = new DeliveryPacker();
    const { data } = packer.pack(waiting(1), order(1));
    expect(typeof data).toBe('string');
    expect([...data].every((c) => c.charCodeAt(0) < 256)).toBe(true);
  });
});
