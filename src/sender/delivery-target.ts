import type { DeliveryContent, DeliveryRecord } from './delivery-store';
import { reshapeBody } from './dialect-body';
import type { SendScheme } from './sign-headers';

/** An endpoint as it is at the moment of an attempt: where its deliveries go, how, and the secrets that sign. */
export interface EndpointTarget {
  readonly url: string;
  readonly scheme: SendScheme;
  /** Its extra headers, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The current secret, and during a rotation's grace the previous one too. */
  readonly secrets: readonly string[];
}

/** The endpoint a delivery was fanned out to, read at each attempt; undefined when it was deleted. */
export type EndpointLookup = (endpointId: string) => Promise<EndpointTarget | undefined>;

/** What one attempt sends and where. */
export interface AttemptTarget {
  readonly url: string;
  readonly scheme: SendScheme;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly body: Buffer;
  /** One signature each. */
  readonly secrets: readonly string[];
}

export interface TargetSources {
  /** The configured secrets of a scheme, read at each attempt. */
  readonly secretsFor: (scheme: SendScheme) => readonly string[];
  readonly endpointTarget?: EndpointLookup;
}

/** Why an attempt cannot be made: the delivery fails with this. */
export interface NoTarget {
  readonly failure: string;
}

export const ENDPOINT_DELETED = 'the endpoint was deleted';

/**
 * Where and how the next attempt of a delivery goes. A delivery fanned out to an endpoint follows the endpoint
 * as it is now, as its secrets always did: its URL, extra headers and scheme are read at each attempt, so
 * "fix the endpoint, then recover" sends to the fixed URL, and a credential rotated in its headers is never
 * sent again to a URL the customer left. Nothing of the endpoint is copied into the delivery. Any other
 * delivery goes where its request said, with the headers stored with it.
 * Rejects when the endpoint cannot be read.
 */
export async function attemptTarget(record: DeliveryRecord, content: DeliveryContent, sources: TargetSources): Promise<AttemptTarget | NoTarget> {
  const endpointId = record.source?.kind === 'endpoint' ? record.source.endpointId : undefined;
  if (endpointId === undefined) {
    const configured = sources.secretsFor(record.scheme);
    const secrets = content.secret !== undefined ? [content.secret] : content.signAll ? configured : configured.slice(0, 1);
    if (secrets.length === 0) return { failure: `no ${record.scheme} secret is configured to sign with` };
    return { url: record.url, scheme: record.scheme, headers: content.headers, body: content.body, secrets };
  }
  const endpoint = sources.endpointTarget ? await sources.endpointTarget(endpointId) : undefined;
  if (!endpoint || endpoint.secrets.length === 0) return { failure: ENDPOINT_DELETED };
  return {
    url: endpoint.url,
    scheme: endpoint.scheme,
    headers: endpoint.headers,
    body: reshapeBody(content.body, { from: record.scheme, to: endpoint.scheme, eventType: record.eventType, createdAt: record.createdAt }),
    secrets: endpoint.secrets,
  };
}
