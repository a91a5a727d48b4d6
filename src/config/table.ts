import { z } from 'zod';
import { adminToken, allowedHosts, bool, int, oneOf, optionalHttpUrl, secretList, text, trustProxy } from './fields';

/** One environment variable: its default (as written in `.env.example`), its parser and its documentation. */
export interface Field<T extends z.ZodType = z.ZodType> {
  readonly default: string;
  readonly parse: T;
  /** Comment lines above the variable in `.env.example`. */
  readonly doc: readonly string[];
  /** Starts a new group in `.env.example`, under this heading. */
  readonly section?: string;
}

function field<T extends z.ZodType>(defaultValue: string, parse: T, doc: readonly string[], section?: string): Field<T> {
  return { default: defaultValue, parse, doc, section };
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/**
 * Where history, dedupe keys and deliveries live: lost on restart (`memory`), in one SQLite file, or in a
 * PostgreSQL database that any number of instances share (docs/scaling.md).
 */
export const STORE_KINDS = ['memory', 'sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

const DAY_SECONDS = 86_400;

/**
 * Every environment variable the server reads: the one place its default, its parser and its documentation
 * live. `DEFAULTS`, the schema, the `Env` type behind `Config`, and `.env.example` (see `env-example.ts`; a test
 * compares the file with it) are all derived from this table.
 */
export const ENV_TABLE = {
  NODE_ENV: field('development', text(), ['development | production | test. production refuses weak secrets and a missing WEBHOOK_SECRET; anything else is a warning.']),
  PORT: field('3005', int(0, 65_535), []),
  HOST: field('', text(), ['Address to listen on; empty means every interface.']),
  LOG_LEVEL: field('info', oneOf(LOG_LEVELS), ['fatal | error | warn | info | debug | trace | silent']),
  LOG_FORMAT: field('json', oneOf(['json', 'pretty'] as const), ['json (one JSON object a line, the default) | pretty (coloured, readable lines for a terminal)']),

  WEBHOOK_SECRET: field('', secretList(), [
    'One secret list per scheme (docs/signatures.md), each comma-separated: every secret verifies its own scheme',
    'only, the first one signs. A scheme without a secret is off (401 scheme.disabled); the same secret in two',
    'schemes stops start-up. WEBHOOK_SECRET is the native scheme (X-Webhook-Signature); it also signs /webhook/send',
    'and keys the SQLite secret seal. Empty: generated and printed at start-up (refused when NODE_ENV=production).',
  ], 'Signatures (docs/signatures.md, docs/security.md)'),
  STANDARD_WEBHOOK_SECRET: field('', secretList(), ['Standard Webhooks / Svix (webhook-signature, svix-signature): whsec_<base64> or plain text. Empty: off.']),
  STRIPE_WEBHOOK_SECRET: field('', secretList(), ['Stripe (Stripe-Signature): the endpoint secret, whsec_..., keyed as written. Empty: off.']),
  GITHUB_WEBHOOK_SECRET: field('', secretList(), ['GitHub (X-Hub-Signature-256). GitHub signs no timestamp: only dedupe stops replays. Empty: off.']),
  SIGNATURE_TOLERANCE_SECONDS: field('300', int(1, DAY_SECONDS), ["How far a signed timestamp may lie from the server's clock, either way."]),
  DEDUPE_TTL_SECONDS: field('86400', int(1, 30 * DAY_SECONDS), ['How long an event id (and what was signed) is remembered to answer duplicates; at least twice the tolerance.']),
  DEDUPE_MAX_ENTRIES: field('100000', int(1, 10_000_000), ['Ids and signed contents remembered at most; the oldest are forgotten first.']),
  MAX_BODY_BYTES: field('1048576', int(1, 100 * 1024 * 1024), ['Largest request body accepted on /webhook/receive (1 MiB).']),
  MAX_JSON_DEPTH: field('64', int(1, 10_000), ['JSON bodies nested deeper than this are refused (400 body.too_deep) and recorded as rejected.']),

  HISTORY_LIMIT: field('1000', int(1, 1_000_000), ['Accepted events kept in the history; the oldest are evicted first.'], 'History'),
  REJECTED_HISTORY_LIMIT: field('500', int(1, 1_000_000), ['Rejected requests kept, in their own list.']),
  HISTORY_MAX_BYTES: field('268435456', int(1, 64 * 1024 * 1024 * 1024), [
    'Bytes the accepted history may hold (each entry\'s body and headers); past it the oldest are evicted, as past HISTORY_LIMIT.',
  ]),

  PROCESSING_CONCURRENCY: field('4', int(1, 1_000), ['Events whose handlers run at once, and the time all handlers of one event may take.'], 'Processing'),
  PROCESSING_TIMEOUT_MS: field('30000', int(1, 3_600_000), []),
  SHUTDOWN_TIMEOUT_MS: field('10000', int(0, 600_000), ['On SIGTERM/SIGINT, how long in-flight requests and handlers may take before the process exits anyway.']),

  SEND_MAX_ATTEMPTS: field('5', int(1, 100), ['Sending: attempts per delivery, backoff base and cap, per-attempt timeout, requests in flight at once.'], 'Sending'),
  SEND_BASE_DELAY_MS: field('1000', int(0, 3_600_000), []),
  SEND_MAX_DELAY_MS: field('60000', int(0, 86_400_000), []),
  SEND_TIMEOUT_MS: field('10000', int(1, 600_000), []),
  SEND_CONCURRENCY: field('50', int(1, 10_000), []),
  DELIVERY_LIMIT: field('1000', int(1, 1_000_000), ['Delivery records kept; the oldest finished ones are evicted first.']),
  ENDPOINT_SECRET_GRACE_HOURS: field('24', int(0, 24 * 365), [
    'Provider mode (docs/endpoints.md): after POST /webhook/endpoints/:id/secret/rotate, the old secret keeps signing',
    'beside the new one (two signatures per header) for this many hours, then is dropped.',
  ], 'Endpoints'),
  ENDPOINT_DISABLE_AFTER_HOURS: field('120', int(1, 24 * 365), [
    'An endpoint whose deliveries have all failed for this many hours (from the first failure after its last success,',
    'and only once at least 10 deliveries have failed) is disabled; new events skip it until it is enabled again.',
  ]),

  ADMIN_TOKEN: field('', adminToken(), [
    'Bearer token for /webhook/send, /webhook/deliveries, /webhook/history and /metrics (at least 16 characters,',
    'e.g. `openssl rand -hex 32`). Empty: only clients on the loopback address (127.0.0.1, ::1) are served, and a',
    'request carrying X-Forwarded-For, Forwarded or Via is refused unless TRUST_PROXY is set.',
    '/webhook/receive and /healthz stay open either way.',
  ], 'Access control and limits (docs/security.md)'),
  TRUST_PROXY: field('', trustProxy(), [
    "Behind a reverse proxy: Express's `trust proxy` (true, a hop count, or a comma list such as loopback,10.0.0.1).",
    "Empty: off; the client address is the socket's.",
  ]),
  SEND_ALLOWED_HOSTS: field('', allowedHosts(), ['Hosts /webhook/send may deliver to, comma-separated; `*.example.com` allows every subdomain. Empty: any host.']),
  SEND_BLOCK_PRIVATE: field('false', bool(), [
    'true: refuse destinations on loopback, private, link-local (169.254.169.254), CGNAT, unique-local and site-local',
    'addresses, and IPv6 forms embedding such an IPv4 address (::ffff:0:a.b.c.d, 64:ff9b::/96, 64:ff9b:1::/48,',
    '2002::/16), checked on the resolved address at connect time. Off by default so sending to localhost works.',
  ]),
  MANAGEMENT_MAX_BODY_BYTES: field('1048576', int(1, 100 * 1024 * 1024), ['Largest JSON body the management API (/webhook/send, ...) accepts (1 MiB).']),
  RECEIVE_RATE_LIMIT: field('0', int(0, 1_000_000), ['Requests per minute per client address on /webhook/receive; 0 turns the limit off.']),
  HEADERS_TIMEOUT_MS: field('10000', int(1, 600_000), ['Time a client has to send the request headers, the whole request, and idle time on a kept-alive connection.']),
  REQUEST_TIMEOUT_MS: field('30000', int(0, 3_600_000), []),
  KEEP_ALIVE_TIMEOUT_MS: field('5000', int(0, 600_000), []),

  FORWARD_URL: field('', optionalHttpUrl(), [
    'Every accepted webhook is also sent to this URL (like `stripe listen --forward-to`) with the exact body and the',
    'same event id, signed afresh in the scheme it arrived in (Stripe-Signature, X-Hub-Signature-256 + X-GitHub-Event,',
    'webhook-signature, X-Webhook-Signature) with that scheme\'s first secret; each forward is a delivery. Empty: off.',
  ], 'Debugging aids (docs/debugging.md)'),
  FORWARD_SECRET: field('', text(), ['Signs every forward instead of the arrival scheme\'s own secret. Empty: each scheme\'s first secret.']),
  RAW_BODY_CACHE_BYTES: field('67108864', int(0, 4 * 1024 * 1024 * 1024), [
    'Raw bodies of accepted webhooks kept in memory for replay and forwarding (64 MiB), and no more bodies than',
    'HISTORY_LIMIT (a body is only read through its history entry); the oldest go first.',
    '0 keeps none (replay then answers 409 history.body_unavailable).',
  ]),
  STREAM_HEARTBEAT_MS: field('15000', int(10, 3_600_000), ['Heartbeat comment interval on GET /webhook/history/stream, so proxies keep the connection open.']),
  STREAM_MAX_BUFFERED_BYTES: field('4194304', int(1024, 1024 * 1024 * 1024), ['Bytes a stream client may leave unread before the server drops it (4 MiB); it reconnects with Last-Event-ID.']),
  STREAM_MAX_CLIENTS: field('100', int(1, 100_000), ['Live-stream clients served at once; one more is answered 503 stream.full.']),

  STORE: field('memory', oneOf(STORE_KINDS), [
    'Storage: memory (default; lost on restart), sqlite (history, dedupe keys and the delivery outbox survive',
    'restarts and crashes; see docs/storage.md) or postgres (any number of instances share one database; see',
    'docs/scaling.md).',
  ], 'Storage'),
  SQLITE_PATH: field('./data/webhooks.db', text(), ['The SQLite database file when STORE=sqlite; its folder is created if missing.']),
  HISTORY_RETENTION_DAYS: field('0', int(0, 36_500), ['History entries older than this many days are removed (every store); 0 keeps them until HISTORY_LIMIT evicts them.']),
  DATABASE_URL: field('', text(), [
    'The PostgreSQL database when STORE=postgres, e.g. postgres://webhooks:secret@127.0.0.1:5432/webhooks',
    '(`npm run db:start` starts a local one and prints its URL).',
  ]),
  PG_POOL_MAX: field('10', int(1, 1_000), [
    "Connections in each instance's PostgreSQL pool; keep instances x (PG_POOL_MAX + 1 for LISTEN) under the",
    "server's max_connections.",
  ]),
} as const;

export type EnvKey = keyof typeof ENV_TABLE;

export const ENV_KEYS = Object.keys(ENV_TABLE) as EnvKey[];

/** The zod schema of the whole environment, one parser per variable of the table. */
export const ENV_SCHEMA = z.object(
  Object.fromEntries(ENV_KEYS.map((key) => [key, ENV_TABLE[key].parse])) as { [K in EnvKey]: (typeof ENV_TABLE)[K]['parse'] },
);

/** Every variable's parsed value, as its parser returns it: the types `Config` is made of. */
export type Env = Readonly<z.output<typeof ENV_SCHEMA>>;

/** Every variable's default, as written in `.env.example`. */
export const DEFAULTS = Object.fromEntries(ENV_KEYS.map((key) => [key, ENV_TABLE[key].default])) as { readonly [K in EnvKey]: string };
