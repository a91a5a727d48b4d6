import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DEFAULTS, generateSecret, loadConfig } from '../src/config';
import { renderEnvExample } from '../src/config/env-example';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ WEBHOOK_SECRET: 's' });

    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3005,
      host: '',
      logLevel: 'info',
      secrets: ['s'],
      secretGenerated: false,
      signatureToleranceSeconds: 300,
      dedupeTtlSeconds: 86_400,
      dedupeMaxEntries: 100_000,
      maxBodyBytes: 1_048_576,
      historyLimit: 1000,
      rejectedHistoryLimit: 500,
      processingConcurrency: 4,
      processingTimeoutMs: 30_000,
      shutdownTimeoutMs: 10_000,
      send: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, timeoutMs: 10_000, concurrency: 50 },
      deliveryLimit: 1000,
    });
  });

  it('treats an empty or blank variable as unset', () => {
    expect(loadConfig({ WEBHOOK_SECRET: 's', PORT: '', HISTORY_LIMIT: '  ' })).toMatchObject({ port: 3005, historyLimit: 1000 });
  });

  it('reads numbers, trimming whitespace', () => {
    expect(loadConfig({ WEBHOOK_SECRET: 's', PORT: ' 8080 ', PROCESSING_TIMEOUT_MS: '50' })).toMatchObject({ port: 8080, processingTimeoutMs: 50 });
  });

  it('accepts PORT=0, which asks the system for a free port', () => {
    expect(loadConfig({ WEBHOOK_SECRET: 's', PORT: '0' }).port).toBe(0);
  });

  it('reports every bad variable at once, each naming the variable', () => {
    const problems = problemsOf({ WEBHOOK_SECRET: 's', PORT: 'abc', LOG_LEVEL: 'loud', HISTORY_LIMIT: '0', MAX_BODY_BYTES: '1.5' });

    expect(problems).toHaveLength(4);
    for (const name of ['PORT', 'LOG_LEVEL', 'HISTORY_LIMIT', 'MAX_BODY_BYTES']) {
      expect(problems.some((p) => p.startsWith(`${name} `))).toBe(true);
    }
  });

  it('puts every problem in the error message', () => {
    expect(() => loadConfig({ PORT: '70000', SIGNATURE_TOLERANCE_SECONDS: '-1' })).toThrow(/PORT[\s\S]*SIGNATURE_TOLERANCE_SECONDS/);
  });

  it.each([
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '3005abc'],
    ['SIGNATURE_TOLERANCE_SECONDS', '0'],
    ['DEDUPE_TTL_SECONDS', 'forever'],
    ['PROCESSING_CONCURRENCY', '0'],
    ['PROCESSING_TIMEOUT_MS', '1e3'],
    ['REJECTED_HISTORY_LIMIT', '0'],
  ])('refuses %s=%p', (name, value) => {
    const problems = problemsOf({ WEBHOOK_SECRET: 's', [name]: value });

    expect(problems).toEqual([expect.stringContaining(name)]);
  });

  it('refuses a FORWARD_URL holding a user name or password, without repeating it', () => {
    const problems = problemsOf({ WEBHOOK_SECRET: 's', FORWARD_URL: 'https://app:hunter2-secret@example.com/hooks' });
    expect(problems).toEqual([expect.stringMatching(/^FORWARD_URL must not hold a user name or password/)]);
    expect(problems.join(' ')).not.toContain('hunter2-secret');
    expect(loadConfig({ WEBHOOK_SECRET: 's', FORWARD_URL: 'https://example.com/hooks' }).forwardUrl).toBe('https://example.com/hooks');
  });

  it('refuses a base delay above the maximum delay', () => {
    expect(problemsOf({ WEBHOOK_SECRET: 's', SEND_BASE_DELAY_MS: '5000', SEND_MAX_DELAY_MS: '1000' })).toEqual([
      expect.stringContaining('SEND_BASE_DELAY_MS'),
    ]);
  });

  it('reports a base delay above the maximum together with an unrelated bad variable', () => {
    const problems = problemsOf({ WEBHOOK_SECRET: 's', PORT: 'abc', SEND_BASE_DELAY_MS: '5000', SEND_MAX_DELAY_MS: '1000' });

    expect(problems).toEqual([expect.stringContaining('PORT'), expect.stringContaining('SEND_BASE_DELAY_MS')]);
  });

  it('splits WEBHOOK_SECRET on commas, trimming and dropping empty parts; the first one signs', () => {
    expect(loadConfig({ WEBHOOK_SECRET: ' new , old,,' }).secrets).toEqual(['new', 'old']);
  });

  it('generates a secret when none is set, and says so', () => {
    const config = loadConfig({}, () => 'whsec_generated');

    expect(config.secrets).toEqual(['whsec_generated']);
    expect(config.secretGenerated).toBe(true);
  });

  it('generates a secret when WEBHOOK_SECRET holds only commas and spaces', () => {
    expect(loadConfig({ WEBHOOK_SECRET: ' , ' }, () => 'g').secrets).toEqual(['g']);
  });

  it('refuses to start in production without a secret', () => {
    const makeSecret = jest.fn(() => 'never');

    expect(() => loadConfig({ NODE_ENV: 'production' }, makeSecret)).toThrow(/WEBHOOK_SECRET/);
    expect(makeSecret).not.toHaveBeenCalled();
  });

  it('reports the missing production secret together with other bad variables', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PORT: 'abc' });

    expect(problems).toEqual([expect.stringContaining('PORT'), expect.stringContaining('WEBHOOK_SECRET')]);
  });

  it('starts in production with a secret', () => {
    expect(loadConfig({ NODE_ENV: 'production', WEBHOOK_SECRET: 'a-secret-of-sixteen-bytes-or-more' }).secretGenerated).toBe(false);
  });

  it('ignores variables it does not know', () => {
    expect(() => loadConfig({ WEBHOOK_SECRET: 's', SOMETHING_ELSE: 'x' })).not.toThrow();
  });
});

describe('generateSecret', () => {
  it('makes a fresh whsec_ secret of 32 random bytes each time', () => {
    const a = generateSecret();
    const b = generateSecret();

    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(a).not.toBe(b);
  });
});

describe('.env.example', () => {
  const lines = readFileSync(join(__dirname, '..', '.env.example'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const entries = lines.map((line) => {
    const eq = line.indexOf('=');
    return [line.slice(0, eq), line.slice(eq + 1)] as const;
  });

  it('lists exactly the keys of DEFAULTS, once each', () => {
    const keys = entries.map(([key]) => key);

    expect([...keys].sort()).toEqual(Object.keys(DEFAULTS).sort());
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives each key its default', () => {
    expect(Object.fromEntries(entries)).toEqual(DEFAULTS);
  });

  it('is the text derived from the table in src/config/table.ts, comments included (`npm run env-example` writes it)', () => {
    expect(readFileSync(join(__dirname, '..', '.env.example'), 'utf8')).toBe(renderEnvExample());
  });
});
