import { detectScheme, SIGNATURE_HEADERS } from './detect';
import type { HeaderBag, SignatureScheme, VerifyOptions, VerifyResult } from './types';

export type WebhookVerification =
  | { readonly scheme: SignatureScheme; readonly result: VerifyResult }
  | { readonly scheme: undefined; readonly result: { readonly ok: false; readonly code: 'signature.missing'; readonly message: string } };

const MISSING_MESSAGE = `No signature header found. Send one of: ${SIGNATURE_HEADERS.join(', ')}.`;

/** Detects the request's scheme from its headers and verifies the raw body with it. */
export function verifyWebhook(headers: HeaderBag, body: Buffer, options: VerifyOptions): WebhookVerification {
  const scheme = detectScheme(headers);
  if (!scheme) return { scheme: undefined, result: { ok: false, code: 'signature.missing', message: MISSING_MESSAGE } };
  return { scheme, result: scheme.verify(headers, body, options) };
}
