import { isIP } from 'node:net';
import type { Request, RequestHandler } from 'express';
import type { Now } from '../clock';
import { AppError } from '../errors';
import { canonicalIpv6, embeddedIpv4 } from '../security/address-rules';
import type { ClientAddress } from './auth';
import { FifoMap } from '../collections/fifo-map';

/** Client addresses tracked at most; the least recently seen is forgotten first, so memory stays bounded. */
export const RATE_LIMIT_MAX_CLIENTS = 10_000;

/**
 * The rate-limit key of an address: IPv4 as is; IPv6 by its /64, since one host usually owns a whole /64
 * and could otherwise rotate addresses to get a fresh budget each time.
 */
export function rateLimitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const v4 = embeddedIpv4(address);
  if (v4 !== undefined) return v4;
  const canonical = canonicalIpv6(address);
  const [head = '', tail = ''] = canonical.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = canonical.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).join(':')}::/64`;
}

export interface RateLimitOptions {
  /** Requests per minute per client; the bucket holds this many and refills evenly over a minute. */
  readonly perMinute: number;
  readonly now: Now;
  readonly clientAddress: ClientAddress;
  /** Called for each refused request (metrics). */
  readonly onLimited?: () => void;
  readonly maxClients?: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Takes one token for the request's client, or throws 429 `rate_limited` with `Retry-After` when none is left. */
export type RateLimiter = (req: Request) => void;

/**
 * A token bucket per client address, in memory: bursts up to `perMinute`, then `perMinute` a minute. A
 * token bucket rather than a fixed window, because a window lets a client send twice its budget across a
 * window boundary. Refused requests answer 429 `rate_limited` with `Retry-After`, before the body is read.
 * A function rather than a middleware, so that the receive route calls it in its own first handler and the
 * route's other methods share its buckets through `rateLimit` (app.ts).
 */
export function rateLimiter(options: RateLimitOptions): RateLimiter {
  const { perMinute, now, clientAddress, onLimited } = options;
  const maxClients = options.maxClients ?? RATE_LIMIT_MAX_CLIENTS;
  const ratePerMs = perMinute / 60_000;
  const buckets = new FifoMap<string, Bucket>();

  return function takeToken(req) {
    const key = rateLimitKey(clientAddress(req));
    const nowMs = now();
    const bucket = buckets.get(key) ?? { tokens: perMinute, updatedMs: nowMs };
    bucket.tokens = Math.min(perMinute, bucket.tokens + Math.max(0, nowMs - bucket.updatedMs) * ratePerMs);
    bucket.updatedMs = nowMs;
    // set() makes it the newest: the order is least recently seen first.
    buckets.set(key, bucket);
    if (buckets.size > maxClients) buckets.shift();

    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    onLimited?.();
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000));
    throw new AppError(429, 'rate_limited', `Too many requests from this address: the limit is ${perMinute} a minute. Retry after ${retryAfterSeconds} s.`, {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  };
}

/** A limiter as middleware. */
export function rateLimit(limiter: RateLimiter): RequestHandler {
  return function rateLimit(req, _res, next) {
    limiter(req);
    next();
  };
}
