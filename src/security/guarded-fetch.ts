import type { LookupAddress, LookupOptions } from 'node:dns';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { checkAddress, checkHost, type DestinationRules, type LookupFn } from './destination';

/** `fetch`'s shape as the sender uses it: the real one is `createGuardedFetch(...).fetch`, tests pass fakes. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

type NodeLookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for `net.connect`/`tls.connect` that resolves with `lookup` and refuses the connection when any
 * address is forbidden. The check runs on the address the socket will actually connect to, so a DNS answer
 * that changes between `/webhook/send`'s check and the attempt (DNS rebinding) cannot get around it.
 */
function guardedNodeLookup(rules: DestinationRules, lookup: LookupFn) {
  return (hostname: string, options: LookupOptions, callback: NodeLookupCallback): void => {
    lookup(hostname)
      .then((resolved) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses = resolved.filter((a) => family === undefined || a.family === family);
        if (addresses.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          error.code = 'ENOTFOUND';
          callback(error, '');
          return;
        }
        if (rules.blockPrivate) for (const { address } of addresses) checkAddress(hostname, address);
        if (options.all) callback(null, addresses.map((a) => ({ address: a.address, family: a.family })));
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, ''));
  };
}

export interface GuardedFetch {
  readonly fetch: FetchLike;
  /** The guarded connection pool itself, for undici's `request` (the sender's transport). */
  readonly dispatcher: Agent;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

/**
 * `fetch` whose every connection, redirects included, is checked against the destination rules: the host
 * name against `SEND_ALLOWED_HOSTS`, and with `SEND_BLOCK_PRIVATE` the literal or resolved address.
 *
 * Why undici's own `fetch` and not the global one with a `dispatcher`: the global fetch is the undici that
 * ships inside Node (6.x in Node 20, 7.x in Node 24), and a dispatcher from another undici major is not
 * guaranteed to work with it. Taking `fetch` and `Agent` from the same package works on every Node >= 20.
 */
export function createGuardedFetch(rules: DestinationRules, lookup: LookupFn): GuardedFetch {
  const connectViaDns = buildConnector({ lookup: guardedNodeLookup(rules, lookup) } as buildConnector.BuildOptions);
  const connect: buildConnector.connector = (options, callback) => {
    try {
      checkHost(options.hostname, rules);
    } catch (error) {
      callback(error as Error, null);
      return;
    }
    // net.connect skips `lookup` for an IP literal, which is why checkHost has checked it above.
    connectViaDns(options, callback);
  };
  const agent = new Agent({ connect });
  return {
    fetch: (url, init) => undiciFetch(url, { ...(init as UndiciRequestInit), dispatcher: agent }) as unknown as Promise<Response>,
    dispatcher: agent,
    close: () => agent.close(),
  };
}
