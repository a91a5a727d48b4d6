import type { Logger } from 'pino';
import { entryOf, type HistoryFeed } from '../history/feed';
import type { RawBodyStore } from '../history/raw-body-cache';
import { SCHEMES } from '../signature/registry';
import type { SchemeName } from '../signature/types';
import { replayRequest } from './replay';
import type { Sender } from './sender';

export interface ForwardOptions {
  /** `FORWARD_URL`. */
  readonly url: string;
  /** `FORWARD_SECRET`: signs every forward instead of the arrival scheme's own first secret. */
  readonly secret?: string;
  readonly feed: HistoryFeed;
  readonly rawBodies: RawBodyStore;
  readonly sender: Sender;
  readonly logger: Logger;
}

/**
 * Forwards every accepted webhook to `url` as a delivery (retried, listed under /webhook/deliveries), like
 * `stripe listen --forward-to`: the exact body, the same event id, the original Content-Type, signed afresh
 * in the scheme it arrived in (with that scheme's event-type and id headers) and with that scheme's first
 * secret, or `FORWARD_SECRET`: the app verifies forwards with the code and secret it uses in production. Duplicates are not forwarded again, and rejected requests
 * not at all. It listens to the history feed rather than being a catch-all handler, so it runs whatever
 * handlers are registered and however long they take, and a throwing handler cannot stop it.
 * Returns the function that stops forwarding.
 */
export function startForwarding(options: ForwardOptions): () => void {
  const { url, secret, feed, rawBodies, sender, logger } = options;
  return feed.subscribe({
    onEvent(event) {
      // Another instance's webhook (STORE=postgres) is forwarded by that instance, which holds its raw body.
      const entry = event.name === 'received' && event.remote !== true ? entryOf(event) : undefined;
      if (!entry) return;
      // Next turn, not here: the intake keeps the raw body once the store has answered, just after this
      // publication; and the delivery's own durable write (an fsync) is better off the receive path.
      setImmediate(() => {
        const body = rawBodies.get(entry.id);
        if (!body) {
          logger.warn({ eventId: entry.id, url }, 'not forwarded: the raw body is not kept (RAW_BODY_CACHE_BYTES)');
          return;
        }
        const scheme = entry.scheme ?? 'native';
        sender
          .send({ ...replayRequest(entry, body, { url, scheme, secret }), source: { kind: 'forward', historyId: entry.id } })
          // A store that cannot record the delivery: the received event is stored and answered all the same.
          .catch((err: unknown) => logger.error({ err, eventId: entry.id, url }, 'could not forward a received webhook'));
      });
    },
  });
}

/**
 * The start-up line about forwarding: where forwards go and which variable holds the secret the app must
 * verify them with, per scheme that is on. Names only: a secret's value never reaches a log line.
 */
export function forwardingNotice(config: {
  readonly forwardUrl: string;
  readonly forwardSecretSet: boolean;
  readonly schemeSecrets: Readonly<Record<SchemeName, readonly string[]>>;
}): { forwardUrl: string; verifyWith: Partial<Record<SchemeName, string>> } | undefined {
  if (config.forwardUrl === '') return undefined;
  const verifyWith: Partial<Record<SchemeName, string>> = {};
  for (const scheme of SCHEMES) {
    if (config.schemeSecrets[scheme.name].length === 0) continue;
    verifyWith[scheme.name] = config.forwardSecretSet ? 'FORWARD_SECRET' : `${scheme.secretVariable} (its first secret)`;
  }
  return { forwardUrl: config.forwardUrl, verifyWith };
}
