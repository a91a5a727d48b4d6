import { randomBytes } from 'node:crypto';
import { z } from 'zod';

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
  PROCESSING_CONCURRENCY: '4',
  PROCESSING_TIMEOUT_MS: '30000',
  SHUTDOWN_TIMEOUT_MS: '10000',
  SEND_MAX_ATTEMPTS: '5',
  SEND_BASE_DELAY_MS: '1000',
  SEND_MAX_DELAY_MS: '60000',
  SEND_TIMEOUT_MS: '10000',
  SEND_CONCURRENCY: '50',
  DELIVERY_LIMIT: '1000',
  STORE: 'memory',
  SQLITE_PATH: './data/webhooks.db',
  HISTORY_RETENTION_DAYS: '0',
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

const DAY_SECONDS = 86_400;

/** Where history, dedupe keys and deliveries live: lost on restart (`memory`) or in one SQLite file. */
export const STORE_KINDS = ['memory', 'sqlite'] as const;
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
  PROCESSING_CONCURRENCY: int(1, 1_000),
  PROCESSING_TIMEOUT_MS: int(1, 3_600_000),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000),
  SEND_MAX_ATTEMPTS: int(1, 100),
  SEND_BASE_DELAY_MS: int(0, 3_600_000),
  SEND_MAX_DELAY_MS: int(0, 86_400_000),
  SEND_TIMEOUT_MS: int(1, 600_000),
  SEND_CONCURRENCY: int(1, 10_000),
  DELIVERY_LIMIT: int(1, 1_000_000),
  STORE: oneOf(STORE_KINDS),
  SQLITE_PATH: z.string(),
  HISTORY_RETENTION_DAYS: int(0, 36_500),
});

export interface SendConfig {
  /** Attempts per delivery, the first included. */
  readonly maxAttempts: number;
  /** Delay before the first retry, in ms; doubled for each further retry. */
  readonly baseDelayMs: number;
  /** Cap on any one delay, `Retry-After` included, in ms. */
  readonly maxDelayMs: number;
  /** Per-attempt timeout, in ms. */
  readonly timeoutMs: number;
  /** Requests in flight at once, across all deliveries. */
  readonly concurrency: number;
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
  readonly processingConcurrency: number;
  readonly processingTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly send: SendConfig;
  readonly deliveryLimit: number;
  readonly store: StoreKind;
  /** The SQLite database file when `store` is `sqlite`; its folder is created if missing. */
  readonly sqlitePath: string;
  /** History entries older than this are removed, in days; 0 keeps them until `historyLimit` evicts them. */
  readonly historyRetentionDays: number;
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
  const production = input.NODE_ENV === 'production';
  if (secrets.length === 0 && production) {
    problems.push('WEBHOOK_SECRET is required when NODE_ENV=production (one or more secrets, comma-separated)');
  }
  if (parsed.success && parsed.data.SEND_BASE_DELAY_MS > parsed.data.SEND_MAX_DELAY_MS) {
    problems.push(`SEND_BASE_DELAY_MS (${parsed.data.SEND_BASE_DELAY_MS}) must not exceed SEND_MAX_DELAY_MS (${parsed.data.SEND_MAX_DELAY_MS})`);
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
    store: v.STORE,
    sqlitePath: v.SQLITE_PATH,
    historyRetentionDays: v.HISTORY_RETENTION_DAYS,
  };
}
