import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request } from 'express';
import type { FetchLike } from '../../src/sender/sender';
import type { LookupFn } from '../../src/security/destination';

/** Client address taken from an `x-test-client` header, so a test can speak as a non-loopback client. */
export const clientFromHeader = (req: Request): string => {
  const given = req.headers['x-test-client'];
  return typeof given === 'string' ? given : (req.ip ?? '');
};

/** A resolver answering from a table (a function per name may change its answer per call); unknown names fail. */
export function fakeLookup(table: Record<string, string | string[] | (() => string)>): LookupFn & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (hostname: string) => {
    calls.push(hostname);
    const entry = table[hostname];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const addresses = typeof entry === 'function' ? [entry()] : Array.isArray(entry) ? entry : [entry];
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(lookup, { calls });
}

/** A fetch that answers 200 without any network, recording each URL. */
export function recordingFetch(status = 200): FetchLike & { urls: string[] } {
  const urls: string[] = [];
  const fetch: FetchLike = async (url) => {
    urls.push(url);
    return new Response('ok', { status });
  };
  return Object.assign(fetch, { urls });
}

export const instantSleep = async (): Promise<void> => undefined;

export interface LocalServer {
  readonly port: number;
  readonly url: string;
  /** Requests this server has received. */
  readonly hits: () => number;
  close(): Promise<void>;
}

/** A throw-away HTTP server on 127.0.0.1, port 0. */
export async function localServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<LocalServer> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
