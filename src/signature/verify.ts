import { detectScheme } from './detect';
import { SIGNATURE_HEADERS } from './registry';
import type { HeaderBag, SchemeName, SignatureScheme, VerifyOptions, VerifyResult } from './types';

export type WebhookVerification =
  | { readonly scheme: SignatureScheme; readonly result: VerifyResult }
  | { readonly scheme: undefined; readonly result: { readonly ok: false; readonly code: 'signature.missing'; readonly message: string } };

export interface WebhookVerifyOptions extends Omit<VerifyOptions, 'secrets'> {
  /** Each scheme's own secrets (SPEC.md section 1); an empty list means the scheme is off. */
  readonly secretsFor: (scheme: SchemeName) => readonly string[];
}

const MISSING_MESSAGE = `No signature header found. Send one of: ${SIGNATURE_HEADERS.join(', ')}.`;

/**
 * Detects the request's scheme from its headers and verifies the raw body with that scheme's secrets only:
 * a secret is never tried in a scheme it was not given to, so a signature made for one scheme cannot pass
 * as another's (issue 11). A scheme without secrets answers `scheme.disabled`, naming its variable.
 */
export function verifyWebhook(headers: HeaderBag, body: Buffer, options: WebhookVerifyOptions): WebhookVerification {
  const scheme = detectScheme(headers);
  if (!scheme) return { scheme: undefined, result: { ok: false, code: 'signature.missing', message: MISSING_MESSAGE } };
  const secrets = options.secretsFor(scheme.name);
  if (secrets.length === 0) {
    const message = `The ${scheme.name} scheme is off on this server: set ${scheme.secretVariable} to its secret (comma-separated during a rotation) to accept these requests.`;
    return { scheme, result: { ok: false, code: 'scheme.disabled', message } };
  }
  const { nowSeconds, toleranceSeconds } = options;
  return { scheme, result: scheme.verify(headers, body, { secrets, nowSeconds, toleranceSeconds }) };
}
