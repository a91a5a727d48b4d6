import { randomBytes } from 'node:crypto';
import type { SchemeName } from '../signature/types';
import { crossChecks, SECRET_VARIABLES } from './checks';
import { DEFAULTS, ENV_KEYS, ENV_SCHEMA, type Env, type LOG_LEVELS } from './table';

export { DEFAULTS, ENV_SCHEMA, ENV_TABLE, STORE_KINDS, type EnvKey, type StoreKind } from './table';
export { SECRET_VARIABLES } from './checks';

export interface SendConfig {
  /** Attempts per delivery, the first included. */
  readonly maxAttempts: Env['SEND_MAX_ATTEMPTS'];
  /** Delay before the first retry, in ms; doubled for each further retry. */
  readonly baseDelayMs: Env['SEND_BASE_DELAY_MS'];
  /** Cap on the exponential delay (before the ±20 % jitter) and on `Retry-After`, in ms. */
  readonly maxDelayMs: Env['SEND_MAX_DELAY_MS'];
  /** Per-attempt timeout, in ms. */
  readonly timeoutMs: Env['SEND_TIMEOUT_MS'];
  /** Requests in flight at once, across all deliveries. */
  readonly concurrency: Env['SEND_CONCURRENCY'];
}

export interface SecurityConfig {
  /** Bearer token for the management API and /metrics; empty means loopback clients only. */
  readonly adminToken: Env['ADMIN_TOKEN'];
  /** Express's `trust proxy` value: false (off), true, a hop count, or a comma list of addresses. */
  readonly trustProxy: Env['TRUST_PROXY'];
  /** Host names `/webhook/send` may deliver to (`*.` wildcards); empty means any host. */
  readonly sendAllowedHosts: readonly string[];
  /** Refuse loopback, private, link-local and other non-public addresses as destinations. */
  readonly sendBlockPrivate: Env['SEND_BLOCK_PRIVATE'];
  /** Largest JSON body the management API accepts, in bytes. */
  readonly managementMaxBodyBytes: Env['MANAGEMENT_MAX_BODY_BYTES'];
  /** Requests per minute per client address on /webhook/receive; 0 turns the limit off. */
  readonly receiveRateLimit: Env['RECEIVE_RATE_LIMIT'];
  /** Time a client has to send the request headers, in ms (`server.headersTimeout`). */
  readonly headersTimeoutMs: Env['HEADERS_TIMEOUT_MS'];
  /** Time a client has to send the whole request, in ms (`server.requestTimeout`); 0 turns it off. */
  readonly requestTimeoutMs: Env['REQUEST_TIMEOUT_MS'];
  /** Idle time before a kept-alive connection is closed, in ms (`server.keepAliveTimeout`). */
  readonly keepAliveTimeoutMs: Env['KEEP_ALIVE_TIMEOUT_MS'];
}

/** The configuration as the app reads it; see `ENV_TABLE` for what each variable means. */
export interface Config {
  readonly nodeEnv: Env['NODE_ENV'];
  readonly port: Env['PORT'];
  /** Address to listen on; empty means every interface. */
  readonly host: Env['HOST'];
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** `json` lines (the default, for machines) or `pretty` (pino-pretty, for a terminal). */
  readonly logFormat: 'json' | 'pretty';
  /**
   * The native scheme's secrets (`WEBHOOK_SECRET`): the first signs `/webhook/send`, forwards and replays, and
   * keys the SQLite secret seal. Never empty after `loadConfig`.
   */
  readonly secrets: readonly string[];
  /** Each scheme's secrets, from its own variable; an empty list means the scheme is off. */
  readonly schemeSecrets: Readonly<Record<SchemeName, readonly string[]>>;
  /** True when no `WEBHOOK_SECRET` was configured and one was generated for this run. */
  readonly secretGenerated: boolean;
  /** Said at start-up, never fatal: an unknown NODE_ENV, GitHub on with STORE=memory. */
  readonly warnings: readonly string[];
  readonly signatureToleranceSeconds: Env['SIGNATURE_TOLERANCE_SECONDS'];
  readonly dedupeTtlSeconds: Env['DEDUPE_TTL_SECONDS'];
  readonly dedupeMaxEntries: Env['DEDUPE_MAX_ENTRIES'];
  readonly maxBodyBytes: Env['MAX_BODY_BYTES'];
  /** JSON nested deeper than this (arrays and objects) is refused at receive. */
  readonly maxJsonDepth: Env['MAX_JSON_DEPTH'];
  readonly historyLimit: Env['HISTORY_LIMIT'];
  readonly rejectedHistoryLimit: Env['REJECTED_HISTORY_LIMIT'];
  /** Weight of the accepted history (body plus headers of each entry), in bytes; the oldest are evicted first. */
  readonly historyMaxBytes: Env['HISTORY_MAX_BYTES'];
  readonly processingConcurrency: Env['PROCESSING_CONCURRENCY'];
  readonly processingTimeoutMs: Env['PROCESSING_TIMEOUT_MS'];
  readonly shutdownTimeoutMs: Env['SHUTDOWN_TIMEOUT_MS'];
  readonly send: SendConfig;
  readonly deliveryLimit: Env['DELIVERY_LIMIT'];
  readonly security: SecurityConfig;
  /** Every accepted webhook is also sent here (like `stripe listen --forward-to`); empty: off. */
  readonly forwardUrl: Env['FORWARD_URL'];
  /** Signs every forward instead of the arrival scheme's first secret; empty: the scheme's own. */
  readonly forwardSecret: Env['FORWARD_SECRET'];
  /** Raw bodies of accepted entries kept for replay and forwarding, in bytes; the oldest go first. */
  readonly rawBodyCacheBytes: Env['RAW_BODY_CACHE_BYTES'];
  /** Interval of the heartbeat comment on `/webhook/history/stream`, in ms. */
  readonly streamHeartbeatMs: Env['STREAM_HEARTBEAT_MS'];
  /** Bytes a stream client may leave unread before it is dropped. */
  readonly streamMaxBufferedBytes: Env['STREAM_MAX_BUFFERED_BYTES'];
  /** Live-stream clients served at once. */
  readonly streamMaxClients: Env['STREAM_MAX_CLIENTS'];
  readonly store: Env['STORE'];
  /** The SQLite database file when `store` is `sqlite`; its folder is created if missing. */
  readonly sqlitePath: Env['SQLITE_PATH'];
  /** History entries older than this are removed, in days; 0 keeps them until `historyLimit` evicts them. */
  readonly historyRetentionDays: Env['HISTORY_RETENTION_DAYS'];
  /** The PostgreSQL database when `store` is `postgres` (`postgres://user:password@host:port/database`). */
  readonly databaseUrl: Env['DATABASE_URL'];
  /** Connections in this instance's PostgreSQL pool (docs/scaling.md: sizing). */
  readonly pgPoolMax: Env['PG_POOL_MAX'];
}

/** Thrown by `loadConfig` with every bad variable at once, each line naming the variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** A fresh Standard Webhooks style secret: `whsec_` and 32 random bytes in base64. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** Parses each variable on its own, so one bad value never hides another, nor a cross-field check. */
function parseEach(env: Readonly<Record<string, string | undefined>>): { values: Partial<Env>; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of ENV_KEYS) {
    const raw = env[key]?.trim();
    const parsed = ENV_SCHEMA.shape[key].safeParse(raw === undefined || raw === '' ? DEFAULTS[key] : raw);
    if (parsed.success) values[key] = parsed.data;
    else problems.push(...parsed.error.issues.map((issue) => `${key} ${issue.message}`));
  }
  return { values: values as Partial<Env>, problems };
}

/**
 * Parses and validates the configuration from an environment-like object. Pure apart from
 * `makeSecret`, which is only called when no `WEBHOOK_SECRET` is configured outside production.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  makeSecret: () => string = generateSecret,
): Config {
  const { values, problems } = parseEach(env);
  const checked = crossChecks(values, values.NODE_ENV ?? DEFAULTS.NODE_ENV);
  problems.push(...checked.problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const v = values as Env;
  const secretGenerated = v.WEBHOOK_SECRET.length === 0;
  const nativeSecrets = secretGenerated ? [makeSecret()] : v.WEBHOOK_SECRET;
  const schemeSecrets: Record<SchemeName, readonly string[]> = {
    native: nativeSecrets,
    standard: v[SECRET_VARIABLES.standard],
    stripe: v[SECRET_VARIABLES.stripe],
    github: v[SECRET_VARIABLES.github],
  };
  return {
    nodeEnv: v.NODE_ENV,
    port: v.PORT,
    host: v.HOST,
    logLevel: v.LOG_LEVEL,
    logFormat: v.LOG_FORMAT,
    secrets: nativeSecrets,
    schemeSecrets,
    secretGenerated,
    warnings: checked.warnings,
    signatureToleranceSeconds: v.SIGNATURE_TOLERANCE_SECONDS,
    dedupeTtlSeconds: v.DEDUPE_TTL_SECONDS,
    dedupeMaxEntries: v.DEDUPE_MAX_ENTRIES,
    maxBodyBytes: v.MAX_BODY_BYTES,
    maxJsonDepth: v.MAX_JSON_DEPTH,
    historyLimit: v.HISTORY_LIMIT,
    rejectedHistoryLimit: v.REJECTED_HISTORY_LIMIT,
    historyMaxBytes: v.HISTORY_MAX_BYTES,
    processingConcurrency: v.PROCESSING_CONCURRENCY,
    processingTimeoutMs: v.PROCESSING_TIMEOUT_MS,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    send: {
      maxAttempts: v.SEND_MAX_ATTEMPTS,
      baseDelayMs: v.SEND_BASE_DELAY_MS,
      maxDelayMs: v.SEND_MAX_DELAY_MS,
      timeoutMs: v.SEND_TIMEOUT_MS,
      concurrency: v.SEND_CONCURRENCY,
    },
    deliveryLimit: v.DELIVERY_LIMIT,
    security: {
      adminToken: v.ADMIN_TOKEN,
      trustProxy: v.TRUST_PROXY,
      sendAllowedHosts: v.SEND_ALLOWED_HOSTS,
      sendBlockPrivate: v.SEND_BLOCK_PRIVATE,
      managementMaxBodyBytes: v.MANAGEMENT_MAX_BODY_BYTES,
      receiveRateLimit: v.RECEIVE_RATE_LIMIT,
      headersTimeoutMs: v.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: v.REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: v.KEEP_ALIVE_TIMEOUT_MS,
    },
    forwardUrl: v.FORWARD_URL,
    forwardSecret: v.FORWARD_SECRET,
    rawBodyCacheBytes: v.RAW_BODY_CACHE_BYTES,
    streamHeartbeatMs: v.STREAM_HEARTBEAT_MS,
    streamMaxBufferedBytes: v.STREAM_MAX_BUFFERED_BYTES,
    streamMaxClients: v.STREAM_MAX_CLIENTS,
    store: v.STORE,
    sqlitePath: v.SQLITE_PATH,
    historyRetentionDays: v.HISTORY_RETENTION_DAYS,
    databaseUrl: v.DATABASE_URL,
    pgPoolMax: v.PG_POOL_MAX,
  };
}
