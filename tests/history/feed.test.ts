import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULTS } from '../../src/config';
import { createHistoryFeed, sseFrame } from '../../src/history/feed';
import { RawBodyCache } from '../../src/history/raw-body-cache';

describe('createHistoryFeed', () => {
  it('numbers events 1, 2, 3 and hands each to every subscriber as one SSE frame', async () => {
    const feed = createHistoryFeed();
    const seen: string[] = [];
    feed.subscribe({ onEvent: (e) => seen.push(e.frame) });

    feed.publish('received', 'evt_1', { id: 'evt_1' });
    feed.publish('updated', 'evt_1', { id: 'evt_1', duplicates: 1 });

    expect(seen).toEqual([
      'id: 1\nevent: received\ndata: {"id":"evt_1"}\n\n',
      'id: 2\nevent: updated\ndata: {"id":"evt_1","duplicates":1}\n\n',
    ]);
  });

  it('keeps a newline inside a payload on the one data line', async () => {
    const event = createHistoryFeed().publish('received', 'e', { text: 'a\nb' });

    expect(event.frame.split('\n').filter((line) => line.startsWith('data:'))).toHaveLength(1);
  });

  it('gives the events after a sequence number, and undefined once they have left the buffer', async () => {
    const feed = createHistoryFeed({ bufferEvents: 3 });
    feed.subscribe({ onEvent: () => undefined })();
    for (let i = 1; i <= 5; i += 1) feed.publish('received', `e${i}`, {});

    expect(feed.since(3)!.map((e) => e.seq)).toEqual([4, 5]);
    expect(feed.since(2)!.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(feed.since(5)).toEqual([]);
    expect(feed.since(1)).toBeUndefined();
    expect(feed.since(6)).toBeUndefined();
  });

  it('buffers nothing until a first client subscribes, since no client can hold an id to resume from', async () => {
    const feed = createHistoryFeed();
    let serialized = 0;
    const payload = { toJSON: () => (serialized += 1) };
    feed.publish('received', 'e1', payload);
    feed.publish('received', 'e2', payload);

    expect(serialized).toBe(0);
    expect(feed.lastSeq).toBe(2);
    expect(feed.since(2)).toEqual([]);
    expect(feed.since(0)).toBeUndefined(); // the client reloads instead

    feed.subscribe({ onEvent: () => undefined })();
    feed.publish('received', 'e3', payload);
    expect(serialized).toBe(1);
    expect(feed.since(2)!.map((e) => e.seq)).toEqual([3]);
  });

  it('bounds the buffer by bytes as well as by count', async () => {
    const feed = createHistoryFeed({ bufferEvents: 100, bufferBytes: 1000 });
    feed.subscribe({ onEvent: () => undefined });
    for (let i = 1; i <= 10; i += 1) feed.publish('received', `e${i}`, { pad: 'x'.repeat(300) });

    expect(feed.since(9)!.map((e) => e.seq)).toEqual([10]);
    expect(feed.since(7)).toBeUndefined();
  });

  it('keeps delivering to the other subscribers when one throws', async () => {
    const errors: unknown[] = [];
    const feed = createHistoryFeed({ onError: (e) => errors.push(e) });
    const seen: number[] = [];
    feed.subscribe({
      onEvent: () => {
        throw new Error('boom');
      },
    });
    feed.subscribe({ onEvent: (e) => seen.push(e.seq) });

    feed.publish('received', 'e', {});

    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it('closes every subscriber once, and later ones at once', async () => {
    const feed = createHistoryFeed();
    const closed: string[] = [];
    feed.subscribe({ onEvent: () => undefined, onClose: () => closed.push('early') });

    feed.close();
    feed.subscribe({ onEvent: () => undefined, onClose: () => closed.push('late') });

    expect(closed).toEqual(['early', 'late']);
    expect(feed.subscriberCount).toBe(0);
  });
});

describe('RawBodyCache', () => {
  it('evicts the oldest bodies once the total passes its byte limit', async () => {
    const cache = new RawBodyCache(10);

    cache.set('a', Buffer.from('12345'));
    cache.set('b', Buffer.from('12345'));
    cache.set('c', Buffer.from('123'));

    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')?.toString()).toBe('12345');
    expect(cache.get('c')?.toString()).toBe('123');
    expect(cache.totalBytes).toBe(8);
  });

  it('keeps nothing larger than its limit, and nothing at all with a limit of 0', async () => {
    expect(new RawBodyCache(4).get('x')).toBeUndefined();
    const none = new RawBodyCache(0);
    none.set('x', Buffer.from('a'));
    expect(none.size).toBe(0);
  });
});

describe('.env.example', () => {
  it('lists the variables this issue adds, with their defaults', async () => {
    const example = readFileSync(path.join(__dirname, '../../.env.example'), 'utf8');
    const listed = new Map(example.split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=', 2) as [string, string]));

    expect([...listed.keys()].sort()).toEqual(Object.keys(DEFAULTS).sort());
    for (const key of ['FORWARD_URL', 'RAW_BODY_CACHE_BYTES', 'STREAM_HEARTBEAT_MS', 'STREAM_MAX_BUFFERED_BYTES'] as const) {
      expect(listed.get(key)).toBe(DEFAULTS[key]);
    }
  });
});

describe('ObservedHistoryStore', () => {
  it('publishes what a write answered, never reading an entry back', async () => {
    const { ObservedHistoryStore } = await import('../../src/history/observed-store');
    const { MemoryHistoryStore } = await import('../../src/storage/memory/history-store');
    let reads = 0;
    class CountingStore extends MemoryHistoryStore {
      override get(id: string) {
        reads += 1;
        return super.get(id);
      }
    }
    const feed = createHistoryFeed();
    const store = new ObservedHistoryStore(new CountingStore({ limit: 10, rejectedLimit: 10 }), feed);
    const entry = { id: 'e1', receivedAt: new Date(0).toISOString(), eventType: 't', scheme: 'native' as const, status: 'accepted' as const, verification: { ok: true, reason: null }, headers: {}, payload: {}, sizeBytes: 2, duplicates: 0, processing: { state: 'pending' as const } };
    await store.add(entry);

    await store.setProcessing('e1', { state: 'done', durationMs: 1 });
    expect(reads).toBe(0);

    const frames: string[] = [];
    feed.subscribe({ onEvent: (event) => frames.push(event.frame) });
    await store.recordDuplicate('e1');
    expect(reads).toBe(0);
    expect(frames).toEqual([sseFrame(3, 'updated', { id: 'e1', duplicates: 1, processing: { state: 'done', durationMs: 1 } })]);
  });
});
