import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DEFAULTS, loadConfig } from '../src/config';

const base = { WEBHOOK_SECRET: 's' };

function problemsFor(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('security configuration', () => {
  it('defaults to no token, no proxy, any host, private allowed, no rate limit and 10 s / 30 s / 5 s timeouts', () => {
    expect(loadConfig(base).security).toEqual({
      adminToken: '',
      trustProxy: false,
      sendAllowedHosts: [],
      sendBlockPrivate: false,
      managementMaxBodyBytes: 1_048_576,
      receiveRateLimit: 0,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
    });
  });

  it('reads every variable', () => {
    const { security } = loadConfig({
      ...base,
      ADMIN_TOKEN: '0123456789abcdef',
      TRUST_PROXY: 'loopback, 10.0.0.0/8',
      SEND_ALLOWED_HOSTS: 'Hooks.Example.com,*.partner.test',
      SEND_BLOCK_PRIVATE: 'TRUE',
      RECEIVE_RATE_LIMIT: '120',
      HEADERS_TIMEOUT_MS: '2000',
      REQUEST_TIMEOUT_MS: '0',
    });
    expect(security.adminToken).toBe('0123456789abcdef');
    expect(security.trustProxy).toBe('loopback,10.0.0.0/8');
    expect(security.sendAllowedHosts).toEqual(['hooks.example.com', '*.partner.test']);
    expect(security.sendBlockPrivate).toBe(true);
    expect(security.receiveRateLimit).toBe(120);
    expect(security.requestTimeoutMs).toBe(0);
  });

  it.each([
    ['true', true],
    ['2', 2],
    ['false', false],
  ])('reads TRUST_PROXY=%s as %p', (raw, value) => {
    expect(loadConfig({ ...base, TRUST_PROXY: raw }).security.trustProxy).toBe(value);
  });

  it.each([
    ['ADMIN_TOKEN', 'short'],
    ['TRUST_PROXY', 'everyone'],
    ['SEND_ALLOWED_HOSTS', 'http://hooks.example.com'],
    ['SEND_BLOCK_PRIVATE', 'maybe'],
    ['RECEIVE_RATE_LIMIT', '-1'],
    ['HEADERS_TIMEOUT_MS', '0'],
  ])('names %s when it is invalid (%s)', (key, value) => {
    const problems = problemsFor({ [key]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${key} `));
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(problemsFor({ HEADERS_TIMEOUT_MS: '40000', REQUEST_TIMEOUT_MS: '30000' })[0]).toMatch(/^HEADERS_TIMEOUT_MS .* REQUEST_TIMEOUT_MS/);
  });

  it('lists exactly the DEFAULTS keys in .env.example', () => {
    const text = readFileSync(join(__dirname, '..', '.env.example'), 'utf8');
    const keys = text.split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => line.split('=')[0]);
    expect(keys.sort()).toEqual(Object.keys(DEFAULTS).sort());
  });
});
