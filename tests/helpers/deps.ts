import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config';
import { createDeps, type AppDeps, type DepsOverrides } from '../../src/deps';

export const TEST_SECRET = 'test-secret';

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
  return loadConfig({ WEBHOOK_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', ...env });
}

/** Real collaborators with a test configuration; pass `overrides` for fakes. */
export function makeDeps(options: { env?: Record<string, string>; logger?: Logger } & DepsOverrides = {}): AppDeps {
  const { env, logger, ...overrides } = options;
  return createDeps(testConfig(env), logger ?? pino({ level: 'silent' }), overrides);
}
