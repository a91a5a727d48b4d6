import { parseStandardKey } from '../signature/standard';
import type { SchemeName } from '../signature/types';
import type { Env } from './table';

/** The variable that holds each scheme's secrets (SPEC.md section 1): named as each provider's docs name it. */
export const SECRET_VARIABLES = {
  native: 'WEBHOOK_SECRET',
  standard: 'STANDARD_WEBHOOK_SECRET',
  stripe: 'STRIPE_WEBHOOK_SECRET',
  github: 'GITHUB_WEBHOOK_SECRET',
} as const satisfies Record<SchemeName, string>;

/** Environments `NODE_ENV` is expected to name; any other value is a warning, not an error. */
export const KNOWN_NODE_ENVS = ['development', 'production', 'test'];

/** Shortest secret (in key bytes) and admin token production accepts. */
export const MIN_PRODUCTION_SECRET_BYTES = 16;

/** Whatever parsed: a variable that did not is absent, and the checks that need it are skipped. */
export type PartialEnv = Partial<Env>;

/** The HMAC key bytes a secret gives in its scheme: a standard `whsec_` secret is base64 (SPEC.md section 1). */
function keyBytes(scheme: SchemeName, secret: string): Buffer | undefined {
  return scheme === 'standard' ? parseStandardKey(secret) : Buffer.from(secret, 'utf8');
}

function secretProblems(env: PartialEnv, production: boolean): string[] {
  const problems: string[] = [];
  const seen: { variable: string; secret: string; key: Buffer | undefined }[] = [];
  for (const [scheme, variable] of Object.entries(SECRET_VARIABLES) as [SchemeName, string][]) {
    const secrets = env[variable as keyof Env] as readonly string[] | undefined;
    for (const [index, secret] of (secrets ?? []).entries()) {
      const key = keyBytes(scheme, secret);
      const which = `${variable} secret #${index + 1}`;
      // A `whsec_` secret is base64 key bytes (Standard Webhooks); a malformed one would never verify.
      if (!key) problems.push(`${which} starts with whsec_ but is not followed by valid base64 key bytes`);
      else if (production && key.length < MIN_PRODUCTION_SECRET_BYTES) {
        problems.push(`${which} is ${key.length} bytes; NODE_ENV=production needs at least ${MIN_PRODUCTION_SECRET_BYTES} (e.g. \`openssl rand -hex 32\`)`);
      }
      // One secret in two schemes would make a signature made for one valid in the other (issue 11): a native
      // request re-sent as GitHub never expires. Same text, or the same key bytes once decoded.
      const twin = seen.find((s) => s.variable !== variable && (s.secret === secret || (key && s.key?.equals(key))));
      if (twin) problems.push(`${twin.variable} and ${variable} hold the same secret: give each scheme its own, or a signature valid in one would verify in the other`);
      seen.push({ variable, secret, key });
    }
  }
  if (production && env.WEBHOOK_SECRET?.length === 0) {
    problems.push('WEBHOOK_SECRET is required when NODE_ENV=production (one or more secrets, comma-separated)');
  }
  return problems;
}

/**
 * Checks that involve more than one variable, or the environment as a whole. Each runs on whatever parsed,
 * so a bad unrelated variable never hides one of these: every problem is reported at once.
 */
export function crossChecks(env: PartialEnv, nodeEnv: string): { problems: string[]; warnings: string[] } {
  const production = nodeEnv === 'production';
  const problems = secretProblems(env, production);
  const warnings: string[] = [];
  const { SEND_BASE_DELAY_MS: baseDelay, SEND_MAX_DELAY_MS: maxDelay } = env;
  if (baseDelay !== undefined && maxDelay !== undefined && baseDelay > maxDelay) {
    problems.push(`SEND_BASE_DELAY_MS (${baseDelay}) must not exceed SEND_MAX_DELAY_MS (${maxDelay})`);
  }
  const { HEADERS_TIMEOUT_MS: headersMs, REQUEST_TIMEOUT_MS: requestMs } = env;
  if (headersMs !== undefined && requestMs !== undefined && requestMs > 0 && headersMs > requestMs) {
    // Node refuses to start a server whose headersTimeout exceeds its requestTimeout.
    problems.push(`HEADERS_TIMEOUT_MS (${headersMs}) must not exceed REQUEST_TIMEOUT_MS (${requestMs})`);
  }
  const { DEDUPE_TTL_SECONDS: ttl, SIGNATURE_TOLERANCE_SECONDS: tolerance } = env;
  if (ttl !== undefined && tolerance !== undefined && ttl < 2 * tolerance) {
    // A signature stays valid for `tolerance` either side of its timestamp: a window of 2 x tolerance. A key
    // forgotten sooner lets the same signed request in again while it still verifies.
    problems.push(`DEDUPE_TTL_SECONDS (${ttl}) must be at least twice SIGNATURE_TOLERANCE_SECONDS (${tolerance}): a replay would be accepted again while its signature is still valid`);
  }
  if (production && env.ADMIN_TOKEN && new Set(env.ADMIN_TOKEN).size === 1) {
    problems.push('ADMIN_TOKEN is one character repeated; NODE_ENV=production needs a random token (e.g. `openssl rand -hex 32`)');
  }
  if (env.STORE === 'postgres' && env.DATABASE_URL === '') {
    problems.push('DATABASE_URL is required when STORE=postgres (postgres://user:password@host:5432/database; `npm run db:start` starts a local one)');
  }
  if (!KNOWN_NODE_ENVS.includes(nodeEnv)) {
    warnings.push(`NODE_ENV=${nodeEnv} is not one of ${KNOWN_NODE_ENVS.join(', ')}: running with the development rules`);
  }
  if ((env.GITHUB_WEBHOOK_SECRET?.length ?? 0) > 0 && env.STORE === 'memory') {
    warnings.push('GitHub signs no timestamp: only the dedupe keys stop a captured GitHub webhook from being replayed, and STORE=memory forgets them on restart. Use STORE=sqlite.');
  }
  return { problems, warnings };
}
