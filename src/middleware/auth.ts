import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors';
import { isLoopback } from '../security/address-rules';
import { adminTokenPage } from './admin-token-page';

/** The address a request comes from: `req.ip` (which honours `TRUST_PROXY`) unless a test injects another. */
export type ClientAddress = (req: Request) => string;

export const requestIp: ClientAddress = (req) => req.ip ?? req.socket.remoteAddress ?? '';

const CHALLENGE = 'Bearer realm="webhook-server"';

/** Headers a forwarding proxy adds (RFC 7239 Forwarded, the de facto X-Forwarded-For, HTTP's Via). */
const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'via'];
/**
 * Browsers cannot attach a Bearer token to a page load or to an EventSource, but they do prompt for Basic
 * credentials and then send them with every same-origin request, the live stream included. So a client that
 * asks for HTML is challenged with Basic; any user name, the token as the password.
 */
const BROWSER_CHALLENGE = 'Basic realm="webhook-server", charset="UTF-8"';

/** Hashing first gives equal-length buffers, so the compare is constant-time whatever the input's length. */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface AdminAccess {
  /** `ADMIN_TOKEN`; empty means loopback clients only. */
  readonly adminToken: string;
  /** `TRUST_PROXY`: when off, a loopback request that went through a proxy is refused in loopback-only mode. */
  readonly trustProxy?: boolean | number | string;
  readonly clientAddress: ClientAddress;
}

/** The token in `Authorization: Bearer <token>` (RFC 6750) or the password of `Basic` (RFC 7617). */
function presentedToken(header: string): string | undefined {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(header);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * Whether a Host header names this machine: `localhost` (and `*.localhost`) or a loopback address, any port.
 * Without ADMIN_TOKEN, the loopback rule alone would let a web page rebind its own domain to 127.0.0.1 (DNS
 * rebinding) and read the history or send signed webhooks through the developer's browser; such a request
 * still comes from loopback, but carries the attacker's domain in Host.
 */
export function isLocalHost(host: string | undefined): boolean {
  if (!host) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  return isLoopback(hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);
}

/**
 * Guards the management surface (send, deliveries, history, metrics, the UI). With a token, every client
 * must send `Authorization: Bearer <token>` (or, from a browser, Basic with the token as the password);
 * without one, only loopback clients are served, so a server started with no configuration on a public
 * interface does not hand its history to the internet.
 */
export function requireAdmin({ adminToken, trustProxy = false, clientAddress }: AdminAccess): RequestHandler {
  return function requireAdmin(req, res, next) {
    if (adminToken === '') {
      // A reverse proxy on this machine makes every client look like loopback: "this machine only" would become
      // "everyone the proxy serves". Its forwarding headers give it away; configure TRUST_PROXY (then req.ip is
      // the real client) or ADMIN_TOKEN instead.
      if (trustProxy === false && PROXY_HEADERS.some((name) => req.headers[name] !== undefined)) {
        throw new AppError(
          403,
          'auth.proxied',
          `Without ADMIN_TOKEN only clients on this machine are served, and this request came through a proxy (it carries ${PROXY_HEADERS.filter((name) => req.headers[name] !== undefined).join(', ')}). Set ADMIN_TOKEN, or TRUST_PROXY so that the real client address is checked.`,
        );
      }
      if (isLoopback(clientAddress(req)) && isLocalHost(req.headers.host)) return next();
      res.vary('Accept');
      if (req.accepts(['json', 'html']) === 'html') {
        // A browser cannot send a Bearer header: tell its user how to set ADMIN_TOKEN instead.
        res.status(403).type('html').set('Cache-Control', 'no-store').send(adminTokenPage(req.socket.localPort));
        return;
      }
      throw new AppError(
        403,
        'auth.loopback_only',
        'Without ADMIN_TOKEN only clients on this machine (loopback, with Host localhost or a loopback address) are served. Set ADMIN_TOKEN and send it as "Authorization: Bearer <token>".',
      );
    }
    const browser = (req.headers.accept ?? '').includes('text/html');
    const header = req.headers.authorization;
    if (header === undefined || header.trim() === '') {
      throw new AppError(401, 'auth.required', 'Send the admin token as "Authorization: Bearer <token>".', {
        headers: { 'WWW-Authenticate': browser ? BROWSER_CHALLENGE : CHALLENGE },
      });
    }
    const token = presentedToken(header);
    if (token === undefined || !sameToken(token, adminToken)) {
      throw new AppError(401, 'auth.invalid', 'The admin token is wrong.', {
        headers: { 'WWW-Authenticate': browser ? BROWSER_CHALLENGE : `${CHALLENGE}, error="invalid_token"` },
      });
    }
    next();
  };
}
