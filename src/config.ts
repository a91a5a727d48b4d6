import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseStandardKey } from './signature/standard';

/**
 * Every environment variable the server reads, with its default. `.env.example` and the README's
 * configuration table list the same keys; a test keeps the three in step.
 */
export const DEFAULTS = {
  NODE_ENV: 'development',
  PORT: '3005',
  HOST: '',
  LOG_LEVEL: 'info',
  WEBHOOK_SECRET: '',
  SIGNATURE_TOLERANCE_SECONDS: '300',
  DEDUPE_TTL_SECONDS: '86400',
  DEDUPE_MAX_ENTRIES: '100000',
  MAX_BODY_BYTES: '1048576',
  HISTORY_LIMIT: '1000',
  REJECTED_HISTORY_LIMIT: '500',
  HISTORY_MAX_BYTES: '268435456',
  PROCESSING_CONCURRENCY: '4',
  PROCESSING_TIMEOUT_MS: '30000',
  SHUTDOWN_TIMEOUT_MS: '10000',
  SEND_MAX_ATTEMPTS: '5',
  SEND_BASE_DELAY_MS: '1000',
  SEND_MAX_DELAY_MS: '60000',
  SEND_TIMEOUT_MS: '10000',
  SEND_CONCURRENCY: '50',
  DELIVERY_LIMIT: '1000',
  ADMIN_TOKEN: '',
  TRUST_PROXY: '',
  SEND_ALLOWED_HOSTS: '',
  SEND_BLOCK_PRIVATE: 'false',
  MANAGEMENT_MAX_BODY_BYTES: '1048576',
  RECEIVE_RATE_LIMIT: '0',
  HEADERS_TIMEOUT_MS: '10000',
  REQUEST_TIMEOUT_MS: '30000',
  KEEP_ALIVE_TIMEOUT_MS: '5000',
  FORWARD_URL: '',
  RAW_BODY_CACHE_BYTES: '67108864',
  STREAM_HEARTBEAT_MS: '15000',
  STREAM_MAX_BUFFERED_BYTES: '4194304',
  STORE: 'memory',
  SQLITE_PATH: './data/webhooks.db',
  HISTORY_RETENTION_DAYS: '0',
  DATABASE_URL: '',
  PG_POOL_MAX: '10',
} as const satisfies Record<string, string>;

export type EnvKey = keyof typeof DEFAULTS;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function int(min: number, max: number) {
  return z.string().transform((raw, ctx) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max} (got "${raw}")` });
      return z.NEVER;
    }
    return value;
  });
}

function oneOf<T extends string>(values: readonly [T, ...T[]]) {
  return z.string().transform((raw, ctx) => {
    if (!(values as readonly string[]).includes(raw)) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')} (got "${raw}")` });
      return z.NEVER;
    }
    return raw as T;
  });
}

function bool() {
  return z.string().transform((raw, ctx) => {
    const value = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    ctx.addIssue({ code: 'custom', message: `must be true or false (got "${raw}")` });
    return z.NEVER;
  });
}

/** Empty (off) or an absolute http(s) URL. */
function optionalHttpUrl() {
  return z.string().transform((raw, ctx) => {
    if (raw === '') return '';
    try {
      const { protocol } = new URL(raw);
      if (protocol === 'http:' || protocol === 'https:') return raw;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: `must be empty or an absolute http or https URL (got "${raw}")` });
    return z.NEVER;
  });
}

/**
 * Express's `trust proxy` setting (https://expressjs.com/en/guide/behind-proxies.html): off when empty,
 * else `true`/`false`, a hop count, or a comma list of addresses, subnets and the names
 * `loopback`, `linklocal`, `uniquelocal`. Express validates the addresses when the app is built.
 */
function trustProxy() {
  return z.string().transform((raw, ctx): boolean | number | string => {
    const value = raw.trim();
    if (value === '' || value.toLowerCase() === 'false') return false;
    if (value.toLowerCase() === 'true') return true;
    if (/^\d+$/.test(value)) return Number(value);
    const parts = value.split(',').map((p) => p.trim());
    if (parts.some((p) => !/^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(p))) {
      ctx.addIssue({ code: 'custom', message: `must be true, false, a hop count or a comma list of addresses, subnets, loopback, linklocal, uniquelocal (got "${raw}")` });
      return z.NEVER;
    }
    return parts.join(',');
  });
}

/** A comma list of host names; `*.example.com` matches every subdomain of example.com (not example.com itself). */
function allowedHosts() {
  return z.string().transform((raw, ctx) => {
    const hosts = raw.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
    const bad = hosts.filter((h) => !/^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$|^\[[0-9a-f:.]+\]$/.test(h));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be a comma list of host names, optionally starting with "*." (bad: ${bad.join(', ')})` });
      return z.NEVER;
    }
    return hosts;
  });
}

const DAY_SECONDS = 86_400;

/**
 * Where history, dedupe keys and deliveries live: lost on restart (`memory`), in one SQLite file, or in a
 * PostgreSQL database that any number of instances share (docs/scaling.md).
 */
export const STORE_KINDS = ['memory', 'sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

const schema = z.object({
  NODE_ENV: z.string(),
  PORT: int(0, 65_535),
  HOST: z.string(),
  LOG_LEVEL: oneOf(LOG_LEVELS),
  WEBHOOK_SECRET: z.string(),
  SIGNATURE_TOLERANCE_SECONDS: int(1, DAY_SECONDS),
  DEDUPE_TTL_SECONDS: int(1, 30 * DAY_SECONDS),
  DEDUPE_MAX_ENTRIES: int(1, 10_000_000),
  MAX_BODY_BYTES: int(1, 100 * 1024 * 1024),
  HISTORY_LIMIT: int(1, 1_000_000),
  REJECTED_HISTORY_LIMIT: int(1, 1_000_000),
  HISTORY_MAX_BYTES: int(1, 64 * 1024 * 1024 * 1024),
  PROCESSING_CONCURRENCY: int(1, 1_000),
  PROCESSING_TIMEOUT_MS: int(1, 3_600_000),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000),
  SEND_MAX_ATTEMPTS: int(1, 100),
  SEND_BASE_DELAY_MS: int(0, 3_600_000),
  SEND_MAX_DELAY_MS: int(0, 86_400_000),
  SEND_TIMEOUT_MS: int(1, 600_000),
  SEND_CONCURRENCY: int(1, 10_000),
  DELIVERY_LIMIT: int(1, 1_000_000),
  ADMIN_TOKEN: z.string().refine((v) => v === '' || v.length >= 16, {
    message: 'must be at least 16 characters (generate one with `openssl rand -hex 32`)',
  }),
  TRUST_PROXY: trustProxy(),
  SEND_ALLOWED_HOSTS: allowedHosts(),
  SEND_BLOCK_PRIVATE: bool(),
  MANAGEMENT_MAX_BODY_BYTES: int(1, 100 * 1024 * 1024),
  RECEIVE_RATE_LIMIT: int(0, 1_000_000),
  HEADERS_TIMEOUT_MS: int(1, 600_000),
  REQUEST_TIMEOUT_MS: int(0, 3_600_000),
  KEEP_ALIVE_TIMEOUT_MS: int(0, 600_000),
  FORWARD_URL: optionalHttpUrl(),
  RAW_BODY_CACHE_BYTES: int(0, 4 * 1024 * 1024 * 1024),
  STREAM_HEARTBEAT_MS: int(10, 3_600_000),
  STREAM_MAX_BUFFERED_BYTES: int(1024, 1024 * 1024 * 1024),
  STORE: oneOf(STORE_KINDS),
  SQLITE_PATH: z.string(),
  HISTORY_RETENTION_DAYS: int(0, 36_500),
  DATABASE_URL: z.string(),
  PG_POOL_MAX: int(1, 1_000),
});

export interface SendConfig {
  /** Attempts per delivery, the first included. */
  readonly maxAttempts: number;
  /** Delay before the first retry, in ms; doubled for each further retry. */
  readonly baseDelayMs: number;
  /** Cap on the exponential delay (before the ±20 % jitter) and on `Retry-After`, in ms. */
  readonly maxDelayMs: number;
  /** Per-attempt timeout, in ms. */
  readonly timeoutMs: number;
  /** Requests in flight at once, across all deliveries. */
  readonly concurrency: number;
}

export interface SecurityConfig {
  /** Bearer token for the management API and /metrics; empty means loopback clients only. */
  readonly adminToken: string;
  /** Express's `trust proxy` value: false (off), true, a hop count, or a comma list of addresses. */
  readonly trustProxy: boolean | number | string;
  /** Host names `/webhook/send` may deliver to (`*.` wildcards); empty means any host. */
  readonly sendAllowedHosts: readonly string[];
  /** Refuse loopback, private, link-local and other non-public addresses as destinations. */
  readonly sendBlockPrivate: boolean;
  /** Largest JSON body the management API accepts, in bytes. */
  readonly managementMaxBodyBytes: number;
  /** Requests per minute per client address on /webhook/receive; 0 turns the limit off. */
  readonly receiveRateLimit: number;
  /** Time a client has to send the request headers, in ms (`server.headersTimeout`). */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request, in ms (`server.requestTimeout`); 0 turns it off. */
  readonly requestTimeoutMs: number;
  /** Idle time before a kept-alive connection is closed, in ms (`server.keepAliveTimeout`). */
  readonly keepAliveTimeoutMs: number;
}

export interface Config {
  readonly nodeEnv: string;
  readonly port: number;
  /** Address to listen on; empty means every interface. */
  readonly host: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** Every secret verifies; the first one signs. Never empty after `loadConfig`. */
  readonly secrets: readonly string[];
  /** True when no secret was configured and one was generated for this run. */
  readonly secretGenerated: boolean;
  readonly signatureToleranceSeconds: number;
  readonly dedupeTtlSeconds: number;
  readonly dedupeMaxEntries: number;
  readonly maxBodyBytes: number;
  readonly historyLimit: number;
  readonly rejectedHistoryLimit: number;
  /** Weight of the accepted history (body plus headers of each entry), in bytes; the oldest are evicted first. */
  readonly historyMaxBytes: number;
  readonly processingConcurrency: number;
  readonly processingTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly send: SendConfig;
  readonly deliveryLimit: number;
  readonly security: SecurityConfig;
  /** Every accepted webhook is also sent here (like `stripe listen --forward-to`); empty: off. */
  readonly forwardUrl: string;
  /** Raw bodies of accepted entries kept for replay and forwarding, in bytes; the oldest go first. */
  readonly rawBodyCacheBytes: number;
  /** Interval of the heartbeat comment on `/webhook/history/stream`, in ms. */
  readonly streamHeartbeatMs: number;
  /** Bytes a stream client may leave unread before it is dropped. */
  readonly streamMaxBufferedBytes: number;
  readonly store: StoreKind;
  /** The SQLite database file when `store` is `sqlite`; its folder is created if missing. */
  readonly sqlitePath: string;
  /** History entries older than this are removed, in days; 0 keeps them until `historyLimit` evicts them. */
  readonly historyRetentionDays: number;
  /** The PostgreSQL database when `store` is `postgres` (`postgres://user:password@host:port/database`). */
  readonly databaseUrl: string;
  /** Connections in this instance's PostgreSQL pool (see docs/scaling.md for sizing). */
  readonly pgPoolMax: number;
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

/**
 * Parses and validates the configuration from an environment-like object. Pure apart from
 * `makeSecret`, which is only called when no secret is configured outside production.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  makeSecret: () => string = generateSecret,
): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(DEFAULTS) as EnvKey[]) {
    const raw = env[key]?.trim();
    input[key] = raw === undefined || raw === '' ? DEFAULTS[key] : raw;
  }
  const parsed = schema.safeParse(input);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${String(i.path[0])} ${i.message}`);

  const secrets = input.WEBHOOK_SECRET!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const [index, secret] of secrets.entries()) {
    // A `whsec_` secret is base64 key bytes (Standard Webhooks); a malformed one would never verify.
    if (secret.startsWith('whsec_') && !parseStandardKey(secret)) {
      problems.push(`WEBHOOK_SECRET secret #${index + 1} starts with whsec_ but is not followed by valid base64 key bytes`);
    }
  }
  const production = input.NODE_ENV === 'production';
  if (secrets.length === 0 && production) {
    problems.push('WEBHOOK_SECRET is required when NODE_ENV=production (one or more secrets, comma-separated)');
  }
  // Checked field by field, not on the whole parse, so this is reported alongside any other bad variable.
  const baseDelay = schema.shape.SEND_BASE_DELAY_MS.safeParse(input.SEND_BASE_DELAY_MS);
  const maxDelay = schema.shape.SEND_MAX_DELAY_MS.safeParse(input.SEND_MAX_DELAY_MS);
  if (baseDelay.success && maxDelay.success && baseDelay.data > maxDelay.data) {
    problems.push(`SEND_BASE_DELAY_MS (${baseDelay.data}) must not exceed SEND_MAX_DELAY_MS (${maxDelay.data})`);
  }
  if (parsed.success && parsed.data.REQUEST_TIMEOUT_MS > 0 && parsed.data.HEADERS_TIMEOUT_MS > parsed.data.REQUEST_TIMEOUT_MS) {
    // Node refuses to start a server whose headersTimeout exceeds its requestTimeout.
    problems.push(`HEADERS_TIMEOUT_MS (${parsed.data.HEADERS_TIMEOUT_MS}) must not exceed REQUEST_TIMEOUT_MS (${parsed.data.REQUEST_TIMEOUT_MS})`);
  }
  if (input.STORE === 'postgres' && input.DATABASE_URL === '') {
    problems.push('DATABASE_URL is required when STORE=postgres (postgres://user:password@host:5432/database; `npm run db:start` starts a local one)');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const v = parsed.data;
  const secretGenerated = secrets.length === 0;
  return {
    nodeEnv: v.NODE_ENV,
    port: v.PORT,
    host: v.HOST,
    logLevel: v.LOG_LEVEL,
    secrets: secretGenerated ? [makeSecret()] : secrets,
    secretGenerated,
    signatureToleranceSeconds: v.SIGNATURE_TOLERANCE_SECONDS,
    dedupeTtlSeconds: v.DEDUPE_TTL_SECONDS,
    dedupeMaxEntries: v.DEDUPE_MAX_ENTRIES,
    maxBodyBytes: v.MAX_BODY_BYTES,
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
    rawBodyCacheBytes: v.RAW_BODY_CACHE_BYTES,
    streamHeartbeatMs: v.STREAM_HEARTBEAT_MS,
    streamMaxBufferedBytes: v.STREAM_MAX_BUFFERED_BYTES,
    store: v.STORE,
    sqlitePath: v.SQLITE_PATH,
    historyRetentionDays: v.HISTORY_RETENTION_DAYS,
    databaseUrl: v.DATABASE_URL,
    pgPoolMax: v.PG_POOL_MAX,
  };
}
