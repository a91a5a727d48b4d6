import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from '../errors';
import { forbiddenAddressReason, hostAllowed } from './address-rules';

/** One resolved address, as `dns.lookup(host, {all: true})` gives it. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Resolves a host name to its addresses. Injectable so tests can make any name resolve to 127.0.0.1. */
export type LookupFn = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (getaddrinfo, like every other connection this process makes). */
export const systemLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * A destination refused by `SEND_ALLOWED_HOSTS` or `SEND_BLOCK_PRIVATE`: 400 `destination.forbidden` at
 * `/webhook/send` time, and the (never retried) error of an attempt refused at connect time.
 */
export class DestinationForbiddenError extends AppError {
  constructor(message: string) {
    super(400, 'destination.forbidden', message);
  }
}

export interface DestinationRules {
  /** Lower-case host names, `*.example.com` for subdomains; empty means any host. */
  readonly allowedHosts: readonly string[];
  /** Refuse every address that `forbiddenAddressReason` names. */
  readonly blockPrivate: boolean;
}

/** Strips the brackets of an IPv6 URL host: `[::1]` -> `::1`. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** The checks that need no DNS: scheme, allow-list and an IP literal host. Throws `DestinationForbiddenError`. */
export function checkHost(hostname: string, rules: DestinationRules): void {
  const host = bareHost(hostname.toLowerCase());
  if (rules.allowedHosts.length > 0 && !hostAllowed(host, rules.allowedHosts)) {
    throw new DestinationForbiddenError(`The host ${JSON.stringify(host)} is not in SEND_ALLOWED_HOSTS.`);
  }
  if (rules.blockPrivate && isIP(host) !== 0) checkAddress(host, host);
}

/** Throws when a resolved (or literal) address is not public and private destinations are blocked. */
export function checkAddress(host: string, address: string): void {
  const reason = forbiddenAddressReason(address);
  if (reason === undefined) return;
  const target = host === address ? `The address ${address}` : `The host ${JSON.stringify(host)} resolves to ${address}, which`;
  throw new DestinationForbiddenError(`${target} is ${reason === 'not an IP address' ? 'not an IP address' : `a ${reason} address`}; SEND_BLOCK_PRIVATE=true refuses it.`);
}

export interface DestinationPolicy {
  readonly rules: DestinationRules;
  /**
   * Checks a URL before anything is sent: http(s) only, the allow-list, and (with `blockPrivate`) the literal
   * address or every address the host resolves to. A host that does not resolve passes: the attempt will
   * fail and retry, and the connect-time guard checks the address it finally gets.
   */
  check(url: string): Promise<void>;
}

export function createDestinationPolicy(rules: DestinationRules, lookup: LookupFn): DestinationPolicy {
  return {
    rules,
    async check(url) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new DestinationForbiddenError('The URL does not parse.');
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new DestinationForbiddenError(`Only http and https destinations are allowed (got ${parsed.protocol}).`);
      }
      checkHost(parsed.hostname, rules);
      const host = bareHost(parsed.hostname);
      if (!rules.blockPrivate || isIP(host) !== 0) return;
      let addresses: readonly ResolvedAddress[];
      try {
        addresses = await lookup(host);
      } catch {
        return;
      }
      for (const { address } of addresses) checkAddress(host, address);
    },
  };
}
