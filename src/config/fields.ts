import { z } from 'zod';

/**
 * The parsers of `table.ts`: each reads one variable's text (already trimmed, default applied) and either
 * returns its value or adds an issue whose message completes "<VARIABLE> ...".
 */

export function text() {
  return z.string();
}

export function int(min: number, max: number) {
  return z.string().transform((raw, ctx) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max} (got "${raw}")` });
      return z.NEVER;
    }
    return value;
  });
}

export function oneOf<T extends string>(values: readonly [T, ...T[]]) {
  return z.string().transform((raw, ctx) => {
    if (!(values as readonly string[]).includes(raw)) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')} (got "${raw}")` });
      return z.NEVER;
    }
    return raw as T;
  });
}

export function bool() {
  return z.string().transform((raw, ctx) => {
    const value = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    ctx.addIssue({ code: 'custom', message: `must be true or false (got "${raw}")` });
    return z.NEVER;
  });
}

/** Empty, or a token of at least 16 characters. */
export function adminToken() {
  return z.string().refine((v) => v === '' || v.length >= 16, {
    message: 'must be at least 16 characters (generate one with `openssl rand -hex 32`)',
  });
}

/** A comma list of secrets, trimmed, empty parts dropped: every one verifies, the first one signs. */
export function secretList() {
  return z.string().transform((raw) => raw.split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

/** Empty (off) or an absolute http(s) URL. */
export function optionalHttpUrl() {
  return z.string().transform((raw, ctx) => {
    if (raw === '') return '';
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      // reported below
    }
    // A user name or password would reach the start-up log line naming the target, and is never sent (attempts
    // go to the origin and path): refused without repeating the value, as /webhook/send refuses it.
    if (url && (url.username !== '' || url.password !== '')) {
      ctx.addIssue({ code: 'custom', message: 'must not hold a user name or password (they would be logged and are never sent)' });
      return z.NEVER;
    }
    if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return raw;
    ctx.addIssue({ code: 'custom', message: `must be empty or an absolute http or https URL (got "${raw}")` });
    return z.NEVER;
  });
}

/**
 * Express's `trust proxy` setting (https://expressjs.com/en/guide/behind-proxies.html): off when empty,
 * else `true`/`false`, a hop count, or a comma list of addresses, subnets and the names
 * `loopback`, `linklocal`, `uniquelocal`. Express validates the addresses when the app is built.
 */
export function trustProxy() {
  return z.string().transform((raw, ctx): boolean | number | string => {
    const value = raw.trim();
    if (value === '' || value.toLowerCase() === 'false') return false;
    if (value.toLowerCase() === 'true') return true;
    if (/^\d+$/.test(value)) return Number(value);
    const parts = value.split(',').map((p) => p.trim());
    if (parts.some((p) => !/^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(p))) {
      ctx.addIssue({ code: 'custom', message: `must be true, false, a hop count or a comma list of addresses, subnets, loopback, linklocal, uniquelocal (got "${raw}")` });
      return z.NEVER;
    }
    return parts.join(',');
  });
}

/** A comma list of host names; `*.example.com` matches every subdomain of example.com (not example.com itself). */
export function allowedHosts() {
  return z.string().transform((raw, ctx) => {
    const hosts = raw.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
    const bad = hosts.filter((h) => !/^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$|^\[[0-9a-f:.]+\]$/.test(h));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be a comma list of host names, optionally starting with "*." (bad: ${bad.join(', ')})` });
      return z.NEVER;
    }
    return hosts;
  });
}
