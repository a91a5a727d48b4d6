import { assertBody, assertSecret } from './arguments';
import { decodeHexDigest, headerValue, hmacSha256, mismatch, matchSignature, signedContentDigest } from './crypto';
import type { SignatureScheme } from './types';

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>` over the raw body, keyed with the secret's UTF-8 bytes.
 * GitHub signs no timestamp, so replay protection rests on `X-GitHub-Delivery` and exact-signature dedupe.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 */
export const GITHUB_HEADERS = {
  signature: 'x-hub-signature-256',
  event: 'x-github-event',
  delivery: 'x-github-delivery',
} as const;

/** The `X-Hub-Signature-256` value for one secret: `sha256=<lower-case hex>`. */
export function signGithub(secret: string, body: Buffer | string): string {
  assertSecret(secret);
  assertBody(body);
  return `sha256=${hmacSha256(secret, body).toString('hex')}`;
}

export const githubScheme: SignatureScheme = {
  name: 'github',
  secretVariable: 'GITHUB_WEBHOOK_SECRET',
  // X-Hub-Signature is GitHub's legacy sha1 signature: not verified here, but never replayed either.
  signatureHeaders: [GITHUB_HEADERS.signature],
  staleHeaders: [], // X-GitHub-Event and X-GitHub-Delivery describe the event, not the signing: a replay keeps them
  // X-GitHub-Delivery is not signed (only the body is), and there is no timestamp.
  idSigned: false,

  verify(headers, body, { secrets }) {
    const value = headerValue(headers, GITHUB_HEADERS.signature) ?? '';
    const digest = value.startsWith('sha256=') ? decodeHexDigest(value.slice('sha256='.length)) : undefined;
    if (!digest) return mismatch('X-Hub-Signature-256 must be sha256=<64 hex digits>.');
    const match = matchSignature(secrets, [digest], (secret) => hmacSha256(secret, body));
    if (match) return { ok: true, signedContent: signedContentDigest(body) };
    return mismatch('X-Hub-Signature-256 does not match the body for any configured secret.');
  },

  identify(headers) {
    return { eventId: headerValue(headers, GITHUB_HEADERS.delivery), eventType: headerValue(headers, GITHUB_HEADERS.event) };
  },
};
