import { Client, type Pool } from 'pg';
import type { Logger } from 'pino';
import type { HistoryFeed } from '../../history/feed';
import type { ProcessingState } from '../../history/store';
import type { ChangeKind } from './batch';
import { ROW_COLUMNS, toEntry, type HistoryRow } from './rows';

/** The NOTIFY channel of history changes; payloads: `{"o": origin, "r": [seq...], "u": [seq...], "c": [...]}`. */
export const HISTORY_CHANNEL = 'webhook_history';

/** Delay before the first reconnection of the LISTEN connection, doubled up to `RECONNECT_MAX_MS`. */
export const RECONNECT_MIN_MS = 250;
export const RECONNECT_MAX_MS = 5_000;

const REMOTE = { remote: true } as const;

type Payload = { readonly o?: unknown } & Partial<Record<ChangeKind, unknown>>;

export interface HistoryFollower {
  /** Whether the LISTEN connection is up now. */
  readonly listening: boolean;
  /** Resolves once the first LISTEN succeeded or failed (it is retried either way). */
  readonly ready: Promise<void>;
  /** Resolves once every notification received so far is published. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const seqList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string' && /^\d{1,19}$/.test(s)) : []);

/**
 * One history, live on every instance: listens on `HISTORY_CHANNEL` on a connection of its own, and publishes
 * to this instance's feed what the other instances wrote (their own writes they publish themselves, through
 * observed-store.ts). A NOTIFY carries only sequence numbers (small, and sent on COMMIT only); the rows are
 * read here, in the order they were announced, so the page, the SSE stream and FORWARD_URL see the same
 * entries on every instance. The connection is re-established by itself after the database restarts.
 */
export function followHistory(options: { url: string; pool: Pool; origin: string; feed: HistoryFeed; logger: Logger }): HistoryFollower {
  const { url, pool, origin, feed, logger } = options;
  let client: Client | undefined;
  let stopped = false;
  let listening = false;
  let delayMs = RECONNECT_MIN_MS;
  let timer: NodeJS.Timeout | undefined;
  // Notifications are handled one after the other: each reads its rows, then publishes, in order.
  let chain: Promise<void> = Promise.resolve();
  let stopping: Promise<void> | undefined;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const publishRows = async (kind: ChangeKind, seqs: string[]): Promise<void> => {
    if (kind === 'c') {
      feed.publish('cleared', null, {}, REMOTE);
      return;
    }
    if (seqs.length === 0) return;
    const { rows } = await pool.query<HistoryRow & { id: string; status: string }>(
      `SELECT id, status, ${ROW_COLUMNS} FROM history WHERE seq = ANY($1::bigint[]) ORDER BY seq`,
      [seqs],
    );
    for (const row of rows) {
      if (kind === 'r') feed.publish(row.status === 'accepted' ? 'received' : 'rejected', row.id, toEntry(row), REMOTE);
      else feed.publish('updated', row.id, { id: row.id, duplicates: row.duplicates, processing: row.processing as ProcessingState | null }, REMOTE);
    }
  };

  const handle = (raw: string | undefined): void => {
    let payload: Payload;
    try {
      payload = JSON.parse(raw ?? '') as Payload;
    } catch {
      return;
    }
    if (payload.o === origin) return; // published here already, by the writer
    chain = chain
      .then(async () => {
        for (const kind of Object.keys(payload) as (ChangeKind | 'o')[]) {
          if (kind === 'r' || kind === 'u' || kind === 'c') await publishRows(kind, seqList(payload[kind]));
        }
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'could not read the history rows another instance announced'));
  };

  const reconnect = (): void => {
    listening = false;
    if (stopped || timer !== undefined) return;
    const wait = delayMs;
    delayMs = Math.min(RECONNECT_MAX_MS, delayMs * 2);
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, wait);
    timer.unref();
  };

  const connect = async (): Promise<void> => {
    const next = new Client({ connectionString: url, keepAlive: true });
    client = next;
    // Only the current connection reconnects: a late 'end' of a replaced one must not open a second listener.
    const lost = (): void => {
      if (client === next) reconnect();
    };
    next.on('notification', (message) => {
      if (client === next) handle(message.payload);
    });
    next.on('error', () => {
      void next.end().catch(() => undefined);
      lost();
    });
    next.on('end', lost);
    try {
      await next.connect();
      await next.query(`LISTEN ${HISTORY_CHANNEL}`);
      if (stopped) {
        markReady();
        await next.end();
        return;
      }
      if (!listening) logger.debug('listening for other instances\' history changes');
      listening = true;
      delayMs = RECONNECT_MIN_MS;
      markReady();
    } catch (error) {
      markReady();
      logger.debug({ err: error }, 'the LISTEN connection failed; retrying');
      void next.end().catch(() => undefined);
      lost();
    }
  };

  void connect();

  return {
    get listening() {
      return listening;
    },
    ready,
    async idle() {
      await chain;
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
        await chain;
        await client?.end().catch(() => undefined);
      })();
      return stopping;
    },
  };
}
