import { Deque } from '../collections/deque';
import type { HistoryEntry } from './store';

/**
 * `received` and `rejected` carry the whole entry; `updated` its changing fields (`id`, `duplicates`,
 * `processing`); `cleared` an empty object (`DELETE /webhook/history`); `delivery` a delivery record each time
 * it is created or changes (an attempt, the outcome), so the page follows deliveries on the same stream.
 */
export type FeedEventName = 'received' | 'rejected' | 'updated' | 'cleared' | 'delivery';

/** One change to the history, numbered in publication order. */
export interface FeedEvent {
  /** 1, 2, 3, ... for the life of the process: the SSE `id`, resumed from with `Last-Event-ID`. */
  readonly seq: number;
  readonly name: FeedEventName;
  /** The history entry the event is about; null for `cleared` and `delivery`. */
  readonly entryId: string | null;
  /** What was published: the whole entry for `received` and `rejected` (see `entryOf`), the changed fields for `updated`. */
  readonly data: unknown;
  /** The Server-Sent Events frame, serialized once and written to every client as is. */
  readonly frame: string;
  /**
   * Written by another instance sharing the database (STORE=postgres), published here for the page and the
   * stream; what acts once per webhook (FORWARD_URL) leaves it to the instance that received it.
   */
  readonly remote?: boolean;
}

export interface FeedSubscriber {
  /** Called synchronously on publish; must not throw (a throw is caught and reported to `onError`). */
  onEvent(event: FeedEvent): void;
  /** Called once when the feed closes (server shutdown). */
  onClose?(): void;
}

export interface HistoryFeed {
  publish(name: FeedEventName, entryId: string | null, data: unknown, options?: { readonly remote?: boolean }): FeedEvent;
  /** Returns the unsubscribe function. */
  subscribe(subscriber: FeedSubscriber): () => void;
  /**
   * The buffered events after `seq`, oldest first; undefined when the feed cannot tell what came after it
   * (older than the buffer, or from before a restart): the client must reload instead.
   */
  since(seq: number): readonly FeedEvent[] | undefined;
  /** The newest sequence number published, 0 before the first. */
  readonly lastSeq: number;
  /** False until a first subscriber: until then no client can resume, so nothing needs publishing in full. */
  readonly listening: boolean;
  readonly subscriberCount: number;
  /** Closes every subscriber; later subscribers are closed at once. */
  close(): void;
}

export interface HistoryFeedOptions {
  /** Events kept for `Last-Event-ID` resumption, at most. */
  readonly bufferEvents?: number;
  /** Bytes of frames kept for resumption, at most: a few huge payloads cannot pin much memory. */
  readonly bufferBytes?: number;
  /** A subscriber threw; the others still get the event. */
  readonly onError?: (error: unknown) => void;
}

export const DEFAULT_FEED_BUFFER_EVENTS = 1000;
export const DEFAULT_FEED_BUFFER_BYTES = 16 * 1024 * 1024;

/** The entry a `received` or `rejected` event carries (the writer's own object: nothing is read back). */
export function entryOf(event: FeedEvent): HistoryEntry | undefined {
  return event.name === 'received' || event.name === 'rejected' ? (event.data as HistoryEntry) : undefined;
}

/** An SSE frame. `data` is one line: JSON.stringify without indentation never emits a raw newline. */
export function sseFrame(seq: number, name: string, data: unknown): string {
  return `id: ${seq}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * An event published before anyone listened: its frame is serialized only if something asks for it. A class
 * rather than an object literal with a getter and a spread, which V8 builds on a slow path: this one is
 * made for every webhook a server without the page open receives (issue 13).
 */
class UnheardEvent implements FeedEvent {
  private serialized: string | undefined;
  readonly remote?: true;

  constructor(
    readonly seq: number,
    readonly name: FeedEventName,
    readonly entryId: string | null,
    readonly data: unknown,
    remote: boolean,
  ) {
    if (remote) this.remote = true;
  }

  get frame(): string {
    return (this.serialized ??= sseFrame(this.seq, this.name, this.data));
  }
}

/**
 * An in-process publish/subscribe of history changes, with a bounded ring buffer of recent events so a
 * client that reconnects with `Last-Event-ID` misses nothing. It sits beside the `HistoryStore` (see
 * `observed-store.ts`), so any store backend gets a live stream without changing its contract.
 */
export function createHistoryFeed(options: HistoryFeedOptions = {}): HistoryFeed {
  const bufferEvents = options.bufferEvents ?? DEFAULT_FEED_BUFFER_EVENTS;
  const bufferBytes = options.bufferBytes ?? DEFAULT_FEED_BUFFER_BYTES;
  const buffer = new Deque<FeedEvent>();
  let bufferedBytes = 0;
  const subscribers = new Set<FeedSubscriber>();
  let seq = 0;
  let closed = false;
  let everSubscribed = false;

  const report = (error: unknown): void => options.onError?.(error);

  return {
    publish(name, entryId, data, options) {
      seq += 1;
      if (!everSubscribed) {
        // Nobody has listened yet, so no client holds an id to resume from: nothing to serialize or buffer
        // (a server without the page open, the usual production case, pays nothing for the feed).
        return new UnheardEvent(seq, name, entryId, data, options?.remote === true);
      }
      const event: FeedEvent = { seq, name, entryId, data, frame: sseFrame(seq, name, data), ...(options?.remote === true && { remote: true }) };
      buffer.push(event);
      bufferedBytes += event.frame.length;
      while (buffer.length > bufferEvents || (bufferedBytes > bufferBytes && buffer.length > 0)) {
        bufferedBytes -= buffer.shift()!.frame.length;
      }
      for (const subscriber of subscribers) {
        try {
          subscriber.onEvent(event);
        } catch (error) {
          report(error);
        }
      }
      return event;
    },

    subscribe(subscriber) {
      if (closed) {
        subscriber.onClose?.();
        return () => undefined;
      }
      everSubscribed = true;
      subscribers.add(subscriber);
      return () => {
        subscribers.delete(subscriber);
      };
    },

    since(after) {
      if (!Number.isInteger(after) || after < 0 || after > seq) return undefined;
      if (after === seq) return [];
      const oldest = buffer.peek()?.seq ?? seq + 1;
      if (after < oldest - 1) return undefined; // events in between were dropped from the buffer
      const events: FeedEvent[] = [];
      for (let i = buffer.lastIndexBelow(after + 1, (e) => e.seq) + 1; i < buffer.length; i += 1) events.push(buffer.at(i)!);
      return events;
    },

    get listening() {
      return everSubscribed;
    },

    get lastSeq() {
      return seq;
    },

    get subscriberCount() {
      return subscribers.size;
    },

    close() {
      closed = true;
      const all = [...subscribers];
      subscribers.clear();
      for (const subscriber of all) {
        try {
          subscriber.onClose?.();
        } catch (error) {
          report(error);
        }
      }
    },
  };
}
