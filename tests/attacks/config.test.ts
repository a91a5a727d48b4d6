import { ConfigError, loadConfig } from '../../src/config';
import { start } from '../../src/server';
import { memoryLogger } from '../helpers/deps';

const STRONG = 'a-secret-of-at-least-16-bytes';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('configurations that defeat the protection stop start-up (issue 11)', () => {
  it('refuses DEDUPE_TTL_SECONDS shorter than twice the tolerance: a replay would verify after its key is gone', () => {
    expect(problemsOf({ WEBHOOK_SECRET: 's', SIGNATURE_TOLERANCE_SECONDS: '300', DEDUPE_TTL_SECONDS: '599' })).toEqual([
      expect.stringMatching(/^DEDUPE_TTL_SECONDS \(599\) must be at least twice SIGNATURE_TOLERANCE_SECONDS \(300\)/),
    ]);
    expect(loadConfig({ WEBHOOK_SECRET: 's', SIGNATURE_TOLERANCE_SECONDS: '300', DEDUPE_TTL_SECONDS: '600' }).dedupeTtlSeconds).toBe(600);
  });

  it.each(['WEBHOOK_SECRET', 'STANDARD_WEBHOOK_SECRET', 'STRIPE_WEBHOOK_SECRET', 'GITHUB_WEBHOOK_SECRET'])(
    'refuses a %s shorter than 16 bytes with NODE_ENV=production, and allows it in development',
    (variable) => {
      const env = { WEBHOOK_SECRET: STRONG, [variable]: `${STRONG}-2,short` };
      expect(problemsOf({ ...env, NODE_ENV: 'production' })).toEqual([expect.stringMatching(new RegExp(`^${variable} secret #2 is 5 bytes`))]);
      expect(() => loadConfig(env)).not.toThrow();
    },
  );

  it('counts a standard whsec_ secret by its decoded key bytes', () => {
    const twelveBytes = `whsec_${Buffer.from('twelve-bytes').toString('base64')}`;
    expect(problemsOf({ NODE_ENV: 'production', WEBHOOK_SECRET: STRONG, STANDARD_WEBHOOK_SECRET: twelveBytes })).toEqual([
      expect.stringMatching(/^STANDARD_WEBHOOK_SECRET secret #1 is 12 bytes/),
    ]);
  });

  it('refuses an ADMIN_TOKEN of one repeated character with NODE_ENV=production', () => {
    expect(problemsOf({ NODE_ENV: 'production', WEBHOOK_SECRET: STRONG, ADMIN_TOKEN: 'a'.repeat(32) })).toEqual([expect.stringMatching(/^ADMIN_TOKEN is one character repeated/)]);
    expect(() => loadConfig({ WEBHOOK_SECRET: STRONG, ADMIN_TOKEN: 'a'.repeat(32) })).not.toThrow();
  });

  it('reports every refused configuration at once, with an unrelated bad variable among them', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      PORT: 'eighty',
      WEBHOOK_SECRET: 'short',
      GITHUB_WEBHOOK_SECRET: 'short',
      ADMIN_TOKEN: 'x'.repeat(20),
      SIGNATURE_TOLERANCE_SECONDS: '600',
      DEDUPE_TTL_SECONDS: '60',
    });

    for (const start of ['PORT ', 'WEBHOOK_SECRET secret #1 is 5 bytes', 'GITHUB_WEBHOOK_SECRET secret #1', 'WEBHOOK_SECRET and GITHUB_WEBHOOK_SECRET', 'DEDUPE_TTL_SECONDS', 'ADMIN_TOKEN']) {
      expect(problems.some((p) => p.startsWith(start))).toBe(true);
    }
  });

  it('still runs the cross-field checks when one of their own variables is bad: the others are reported', () => {
    const problems = problemsOf({ WEBHOOK_SECRET: 's', SIGNATURE_TOLERANCE_SECONDS: 'soon', DEDUPE_TTL_SECONDS: '1', SEND_BASE_DELAY_MS: '5', SEND_MAX_DELAY_MS: '1' });

    expect(problems).toEqual([expect.stringContaining('SIGNATURE_TOLERANCE_SECONDS'), expect.stringContaining('SEND_BASE_DELAY_MS (5)')]);
  });
});

describe('start-up warnings', () => {
  it('warns about an unknown NODE_ENV, but starts', () => {
    expect(loadConfig({ WEBHOOK_SECRET: 's', NODE_ENV: 'staging' }).warnings).toEqual([expect.stringContaining('NODE_ENV=staging')]);
    expect(loadConfig({ WEBHOOK_SECRET: 's', NODE_ENV: 'test' }).warnings).toEqual([]);
  });

  it('warns that GitHub is guarded only by dedupe when it runs with STORE=memory', () => {
    expect(loadConfig({ WEBHOOK_SECRET: 's', GITHUB_WEBHOOK_SECRET: 'g' }).warnings).toEqual([expect.stringMatching(/GitHub signs no timestamp.*STORE=memory/)]);
    expect(loadConfig({ WEBHOOK_SECRET: 's', GITHUB_WEBHOOK_SECRET: 'g', STORE: 'sqlite', SQLITE_PATH: ':memory:' }).warnings).toEqual([]);
    expect(loadConfig({ WEBHOOK_SECRET: 's' }).warnings).toEqual([]);
  });
});

describe('secrets per scheme', () => {
  it('reads each scheme from its own variable; only WEBHOOK_SECRET is generated when missing', () => {
    const config = loadConfig({ STRIPE_WEBHOOK_SECRET: 'whsec_stripe, whsec_old' }, () => 'generated');

    expect(config.schemeSecrets).toEqual({ native: ['generated'], standard: [], stripe: ['whsec_stripe', 'whsec_old'], github: [] });
    expect(config.secrets).toEqual(['generated']);
  });
});

describe('start-up', () => {
  it('logs each warning once the server starts', async () => {
    const { logger, lines } = memoryLogger();
    const server = await start({ PORT: '0', HOST: '127.0.0.1', WEBHOOK_SECRET: 'native-secret', GITHUB_WEBHOOK_SECRET: 'github-secret', NODE_ENV: 'staging' }, { logger });
    await server.close();

    const warnings = lines().map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level === 40).map((line) => line.msg);
    expect(warnings).toEqual(expect.arrayContaining([expect.stringContaining('NODE_ENV=staging'), expect.stringContaining('GitHub signs no timestamp')]));
    expect(lines().join('\n')).not.toContain('github-secret');
  });
});
