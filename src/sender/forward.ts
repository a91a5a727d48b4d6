import type { Logger } from 'pino';
import type { HistoryFeed } from '../history/feed';
import type { RawBodyStore } from '../history/raw-body-cache';
import type { HistoryStore } from '../history/store';
import { replayRequest } from './replay';
import type { Sender } from './sender';

export interface ForwardOptions {
  /** `FORWARD_URL`. */
  readonly url: string;
  readonly feed: HistoryFeed;
  readonly history: HistoryStore;
  readonly rawBodies: RawBodyStore;
  readonly sender: Sender;
  readonly logger: Logger;
}

/**
 * Forwards every accepted webhook to `url` as a delivery (retried, listed under /webhook/deliveries), like
 * `stripe listen --forward-to`: the exact body, the same event id, the original Content-Type, signed afresh
 * in the native scheme with the configured secret. Duplicates are not forwarded again, and rejected requests
 * not at all. It listens to the history feed rather than being a catch-all handler, so it runs whatever
 * handlers are registered and however long they take, and a throwing handler cannot stop it.
 * Returns the function that stops forwarding.
 */
export function startForwarding(options: ForwardOptions): () => void {
  const { url, feed, history, rawBodies, sender, logger } = options;
  return feed.subscribe({
    onEvent(event) {
      if (event.name !== 'received' || event.entryId === null) return;
      const entry = history.get(event.entryId);
      const body = rawBodies.get(event.entryId);
      if (!entry || !body) {
        logger.warn({ eventId: event.entryId, url }, 'not forwarded: the raw body is not kept (RAW_BODY_CACHE_BYTES)');
        return;
      }
      // Next turn, not here: this runs once the entry is committed, and with SQLite that is inside the group
      // commit's flush, where the delivery's own durable write (an fsync) would hold up every 200 of the batch.
      setImmediate(() => {
        try {
          sender.send({ ...replayRequest(entry, body, { url }), source: { kind: 'forward', historyId: entry.id } });
        } catch (err) {
          // A store that cannot record the delivery: the received event is stored and answered all the same.
          logger.error({ err, eventId: entry.id, url }, 'could not forward a received webhook');
        }
      });
    },
  });
}
