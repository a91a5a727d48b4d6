import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { loadConfig, SECRET_VARIABLES, type Config } from '../../src/config';
import type { SchemeName } from '../../src/signature/types';
import { createDeps, type AppDeps, type DepsOverrides } from '../../src/deps';

export const TEST_SECRET = 'test-secret';

/**
 * One secret per scheme (SPEC.md section 1): a scheme verifies only with its own variable's secrets, and one
 * secret in two schemes stops start-up. Tests signing in a scheme use that scheme's secret from here.
 */
export const TEST_SCHEME_SECRETS = {
  native: TEST_SECRET,
  standard: 'whsec_dGVzdC1zdGFuZGFyZC1zZWNyZXQta2V5', // base64 key bytes, as the reference library expects
  stripe: 'test-stripe-secret',
  github: 'test-github-secret',
} as const;

/** The same, as the environment variables that configure them. */
export const TEST_SECRET_ENV = {
  WEBHOOK_SECRET: TEST_SCHEME_SECRETS.native,
  STANDARD_WEBHOOK_SECRET: TEST_SCHEME_SECRETS.standard,
  STRIPE_WEBHOOK_SECRET: TEST_SCHEME_SECRETS.stripe,
  GITHUB_WEBHOOK_SECRET: TEST_SCHEME_SECRETS.github,
} as const;

/** A clock the test moves by hand, in ms since the epoch. */
export function fakeClock(startMs = Date.UTC(2026, 10, 29, 12, 0, 0)): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let current = startMs;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
  };
}

/** A logger that keeps every line, so tests can assert on what was (and was not) logged. */
export function memoryLogger(level = 'trace'): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: pino({ level, base: undefined }, stream), lines: () => chunks.join('').split('\n').filter(Boolean) };
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ ...TEST_SECRET_ENV, LOG_LEVEL: 'silent', ...env });
}

/** Real collaborators with a test configuration; pass `overrides` for fakes. */
export function makeDeps(options: { env?: Record<string, string>; logger?: Logger } & DepsOverrides = {}): AppDeps {
  const { env, logger, ...overrides } = options;
  return createDeps(testConfig(env), logger ?? pino({ level: 'silent' }), overrides);
}

/** The environment giving `scheme` the secret list `value` (its own variable: WEBHOOK_SECRET for native, ...). */
export function secretEnv(scheme: SchemeName, value: string): Record<string, string> {
  return { [SECRET_VARIABLES[scheme]]: value };
}
