import { headerValue } from './crypto';
import { githubScheme } from './github';
import { nativeScheme } from './native';
import { standardScheme } from './standard';
import { stripeScheme } from './stripe';
import type { HeaderBag, SignatureScheme } from './types';

/** Every scheme, in the order detection tries them. A new dialect is one file plus one entry here. */
export const SCHEMES: readonly SignatureScheme[] = [nativeScheme, standardScheme, stripeScheme, githubScheme];

/** Every header name that can carry a signature: what a 401 `signature.missing` lists, and what is redacted. */
export const SIGNATURE_HEADERS: readonly string[] = SCHEMES.flatMap((s) => s.signatureHeaders);

/** The scheme whose signature header the request carries, or undefined when it carries none. */
export function detectScheme(headers: HeaderBag): SignatureScheme | undefined {
  return SCHEMES.find((scheme) => scheme.signatureHeaders.some((name) => headerValue(headers, name) !== undefined));
}
