import { headerValue } from './crypto';
import { SCHEMES } from './registry';
import type { HeaderBag, SignatureScheme } from './types';

export { SCHEMES, SIGNATURE_HEADERS } from './registry';

/** The scheme whose signature header the request carries, or undefined when it carries none. */
export function detectScheme(headers: HeaderBag): SignatureScheme | undefined {
  return SCHEMES.find((scheme) => scheme.signatureHeaders.some((name) => headerValue(headers, name) !== undefined));
}
