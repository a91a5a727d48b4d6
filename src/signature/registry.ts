import { githubScheme } from './github';
import { nativeScheme } from './native';
import { standardScheme } from './standard';
import { stripeScheme } from './stripe';
import type { SchemeName, SignatureScheme } from './types';

/**
 * Every scheme, in the order detection tries them: the one source of scheme header names, for detection
 * (detect.ts), redaction (history/redact.ts) and replay (sender/replay.ts). A new dialect is one file plus one
 * entry here.
 */
export const SCHEMES: readonly SignatureScheme[] = [nativeScheme, standardScheme, stripeScheme, githubScheme];

/** Every header name that can carry a signature: what a 401 `signature.missing` lists, and what is redacted. */
export const SIGNATURE_HEADERS: readonly string[] = SCHEMES.flatMap((s) => s.signatureHeaders);

/** Every scheme's timestamp and signed-id headers, and those the sender writes itself: never copied into a replay. */
export const STALE_HEADERS: readonly string[] = SCHEMES.flatMap((s) => s.staleHeaders);

export function schemeByName(name: SchemeName): SignatureScheme {
  return SCHEMES.find((s) => s.name === name)!;
}
