import type { Now } from '../clock';
import type { EndpointLookup } from '../sender/delivery-target';
import type { SendScheme } from '../sender/sign-headers';
import type { EndpointSecrets, EndpointStore } from './endpoint-store';

/** Random bytes for a new secret; `crypto.randomBytes` in the server, a fake in tests. */
export type RandomBytes = (size: number) => Buffer;

/** Key bytes of a new endpoint secret: 256 bits, the size of the HMAC-SHA256 key. */
export const SECRET_BYTES = 32;

/**
 * A new endpoint secret. `standard` is `whsec_` and the base64 key bytes, the form Standard Webhooks libraries
 * take; `native` signs with the text of the secret as the key (as WEBHOOK_SECRET does), so hex keeps it readable
 * and free of characters a shell or a .env file would mangle.
 */
export function newEndpointSecret(scheme: SendScheme, randomBytes: RandomBytes): string {
  const bytes = randomBytes(SECRET_BYTES);
  return scheme === 'standard' ? `whsec_${bytes.toString('base64')}` : `wsk_${bytes.toString('hex')}`;
}

/**
 * The secrets that sign an endpoint's attempt at `nowMs`: the current one first, and during a rotation's
 * grace the previous one too (two signatures in the header, so a receiver on either keeps verifying).
 */
export function signingSecrets(secrets: EndpointSecrets | undefined, nowMs: number): readonly string[] {
  if (!secrets) return [];
  const inGrace = secrets.previous !== null && secrets.previousUntilMs !== null && nowMs < secrets.previousUntilMs;
  return inGrace ? [secrets.current, secrets.previous!] : [secrets.current];
}

/**
 * What the sender reads at each attempt of an endpoint's delivery: the endpoint's URL, extra headers and
 * scheme as they are now, and the secrets that sign now. Undefined once the endpoint is deleted. Read afresh
 * every time (nothing cached), so a PATCH made on any instance sharing the store holds from the next attempt.
 */
export function endpointLookup(store: Pick<EndpointStore, 'get' | 'secrets'>, now: Now): EndpointLookup {
  return async (endpointId) => {
    const [endpoint, secrets] = await Promise.all([store.get(endpointId), store.secrets(endpointId)]);
    if (!endpoint || !secrets) return undefined;
    return { url: endpoint.url, scheme: endpoint.scheme, headers: endpoint.headers, secrets: signingSecrets(secrets, now()) };
  };
}
