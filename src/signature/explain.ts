import { createHash } from 'node:crypto';
import { headerValue, hmacSha256, safeEqual } from './crypto';
import { SCHEMES } from './registry';
import { parseStandardKey } from './standard';
import type { HeaderBag, SchemeName, SignatureScheme } from './types';

/**
 * Why a signature failed, for a developer wiring a sender (issue 16.3). It runs on the failure path only and
 * returns text: nothing here can accept a request. Every hint needs an HMAC that matches under a configured
 * secret, i.e. a signature someone already holds, so it teaches nothing about a secret; the fingerprints are
 * a few hex digits of a hash, shown in the (admin-only) history, never in the public 401.
 */
export interface SignatureExplanation {
  /** The exact content the scheme signs, with this request's values: `1700000000.` + the 57 raw body bytes. */
  readonly signedContent: string;
  /** The usual mistake that would have matched, when one did. */
  readonly hint?: string;
  /** A short fingerprint of each configured secret, per variable: compare with `sha256(secret)` on the sender. */
  readonly secrets: readonly { readonly variable: string; readonly fingerprints: readonly string[] }[];
}

export interface ExplainOptions {
  readonly secretsFor: (scheme: SchemeName) => readonly string[];
  /** The server's clock, in whole seconds. */
  readonly nowSeconds: number;
}

/** The HMACs one explanation may compute, at most: the bound on the cost of a rejected request. */
export const MAX_EXPLAIN_HMACS = 12;

/** Bodies re-serialized to try (compact, pretty) are parsed only up to this size, so a big body costs no more. */
const RESERIALIZE_MAX_BYTES = 64 * 1024;

const HEX = /^[0-9a-fA-F]{64}$/;

/** The first 6 hex digits of SHA-256 of a secret: enough to tell secrets apart, too short to stand for one. */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 6);
}

interface Given {
  readonly digest: Buffer;
  /** Decoded from the encoding the scheme does not use (base64 where hex belongs, or the reverse). */
  readonly wrongEncoding: boolean;
  /** Lacked the scheme's prefix (`sha256=`, `v1=`, `v1,`). */
  readonly unprefixed: boolean;
}

interface Shape {
  readonly header: string;
  readonly prefix: string;
  readonly encoding: 'hex' | 'base64';
  readonly timestampHeader?: string;
  readonly idHeader?: string;
  /** The readable signed-content format. */
  readonly format: string;
  /** The signed parts before the body, from the timestamp and id. */
  readonly head: (timestamp: string, id: string) => string;
  readonly key: (secret: string) => Buffer | undefined;
}

function shapeOf(scheme: SchemeName, headers: HeaderBag): Shape {
  const utf8 = (secret: string): Buffer => Buffer.from(secret, 'utf8');
  switch (scheme) {
    case 'native':
      return { header: 'x-webhook-signature', prefix: 'sha256=', encoding: 'hex', timestampHeader: 'x-webhook-timestamp', format: '<X-Webhook-Timestamp>.<raw body>', head: (t) => `${t}.`, key: utf8 };
    case 'stripe':
      return { header: 'stripe-signature', prefix: 'v1=', encoding: 'hex', format: '<t>.<raw body>', head: (t) => `${t}.`, key: utf8 };
    case 'github':
      return { header: 'x-hub-signature-256', prefix: 'sha256=', encoding: 'hex', format: '<raw body>', head: () => '', key: utf8 };
    case 'standard': {
      const p = headerValue(headers, 'svix-signature') !== undefined && headerValue(headers, 'webhook-signature') === undefined ? 'svix-' : 'webhook-';
      return { header: `${p}signature`, prefix: 'v1,', encoding: 'base64', timestampHeader: `${p}timestamp`, idHeader: `${p}id`, format: `<${p}id>.<${p}timestamp>.<raw body>`, head: (t, id) => `${id}.${t}.`, key: parseStandardKey };
    }
  }
}

/** Every digest-like token of the signature header, decoded both ways, with what was wrong with its spelling. */
function givenDigests(value: string, shape: Shape): Given[] {
  const given: Given[] = [];
  // Standard's `v1,<b64>` splits on the comma: a token `v1` then marks the next one as prefixed.
  const tokens = value.split(/[\s,]+/).filter(Boolean);
  for (let i = 0; i < tokens.length && given.length < 8; i += 1) {
    let token = tokens[i]!;
    if (/^t=/.test(token) || token === 'v1' || /^v0=/.test(token)) continue;
    let unprefixed = true;
    if (shape.prefix === 'v1,') unprefixed = tokens[i - 1] !== 'v1';
    else if (token.startsWith(shape.prefix)) {
      unprefixed = false;
      token = token.slice(shape.prefix.length);
    } else token = token.replace(/^(sha256=|v1=)/, '');
    if (HEX.test(token)) given.push({ digest: Buffer.from(token, 'hex'), wrongEncoding: shape.encoding !== 'hex', unprefixed });
    const b64 = Buffer.from(token, 'base64');
    if (b64.length === 32) given.push({ digest: b64, wrongEncoding: shape.encoding !== 'base64', unprefixed });
  }
  return given;
}

function stripeTimestamp(headers: HeaderBag): string | undefined {
  const item = (headerValue(headers, 'stripe-signature') ?? '').split(',').find((part) => part.trim().startsWith('t='));
  return item?.trim().slice(2);
}

/** Explains a failed verification of `scheme`; bounded by `MAX_EXPLAIN_HMACS`. */
export function explainSignatureFailure(scheme: SignatureScheme, headers: HeaderBag, body: Buffer, options: ExplainOptions): SignatureExplanation {
  const shape = shapeOf(scheme.name, headers);
  const timestamp = (scheme.name === 'stripe' ? stripeTimestamp(headers) : shape.timestampHeader && headerValue(headers, shape.timestampHeader)) ?? '';
  const id = (shape.idHeader && headerValue(headers, shape.idHeader)) ?? '';
  const head = shape.head(timestamp, id);
  const signedContent = `${shape.format}: ${head === '' ? '' : `${JSON.stringify(head)} followed by `}the ${body.length} raw body bytes, HMAC-SHA256, ${shape.encoding} in ${shape.header}`;
  const secrets = SCHEMES.map((s) => ({ variable: s.secretVariable, fingerprints: options.secretsFor(s.name).map(secretFingerprint) })).filter((s) => s.fingerprints.length > 0);
  const given = givenDigests(headerValue(headers, shape.header) ?? '', shape);
  const signer = options.secretsFor(scheme.name)[0];
  if (given.length === 0 || signer === undefined) return { signedContent, secrets };

  let budget = MAX_EXPLAIN_HMACS;
  const matches = (key: Buffer | string | undefined, ...parts: (string | Buffer)[]): Given | undefined => {
    if (key === undefined || budget <= 0) return undefined;
    budget -= 1;
    const expected = hmacSha256(key, ...parts);
    return given.find((g) => safeEqual(expected, g.digest));
  };
  const key = shape.key(signer);

  // The right secret and content, misspelled: the encoding, then the prefix.
  const spelled = matches(key, head, body);
  if (spelled?.wrongEncoding) return { signedContent, secrets, hint: `The signature is right but encoded as ${shape.encoding === 'hex' ? 'base64' : 'hex'}: ${shape.header} wants ${shape.encoding}.` };
  if (spelled?.unprefixed) return { signedContent, secrets, hint: `The signature is right but lacks its prefix: write ${shape.prefix}<signature> in ${shape.header}.` };

  // The body changed between signing and sending.
  const text = body.toString('utf8');
  const trimmed = text.replace(/\s+$/, '');
  if (trimmed !== text && matches(key, head, trimmed)) {
    return { signedContent, secrets, hint: 'The body carries trailing whitespace or a newline that was not signed (echo ... | curl --data-binary @- adds one): sign the exact bytes you send.' };
  }
  if (matches(key, head, `${text}\n`)) return { signedContent, secrets, hint: 'The signature covers the body plus a trailing newline that was not sent: sign the exact bytes you send.' };
  if (body.length <= RESERIALIZE_MAX_BYTES) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined) {
      for (const [style, spaces] of [['compact', 0], ['pretty-printed', 2]] as const) {
        const reserialized = JSON.stringify(parsed, null, spaces);
        if (reserialized !== text && matches(key, head, reserialized)) {
          return { signedContent, secrets, hint: `The signature covers the body re-serialized ${style} (JSON.stringify of the parsed object), not the bytes sent: sign the raw body.` };
        }
      }
    }
  }

  // A timestamp in milliseconds, signed as such or as seconds.
  if (/^\d{13,15}$/.test(timestamp)) {
    const seconds = String(Math.floor(Number(timestamp) / 1000));
    if (spelled || matches(key, shape.head(seconds, id), body)) {
      return { signedContent, secrets, hint: `The timestamp ${timestamp} is in milliseconds: send whole seconds since the epoch (${seconds}).` };
    }
  }

  // The secret spelled with or without whsec_, or keyed the other scheme's way.
  const variants: [Buffer | string | undefined, string][] = signer.startsWith('whsec_')
    ? [
        [scheme.name === 'standard' ? signer : signer.slice('whsec_'.length), scheme.name === 'standard' ? 'the whole whsec_ string as text, not its base64-decoded bytes' : 'the secret without its whsec_ prefix'],
        [scheme.name === 'standard' ? signer.slice('whsec_'.length) : parseStandardKey(signer), scheme.name === 'standard' ? 'the text after whsec_, not its base64-decoded bytes' : 'the base64-decoded bytes after whsec_ (the Standard Webhooks way); Stripe keys with the whole string as text'],
      ]
    : [[`whsec_${signer}`, 'the secret with a whsec_ prefix added']];
  for (const [variant, how] of variants) {
    if (matches(variant, head, body)) return { signedContent, secrets, hint: `The signature was made with ${how}.` };
  }

  // Another scheme's secret: a mix-up of variables (the values stay hidden).
  for (const other of SCHEMES) {
    if (other.name === scheme.name) continue;
    const otherSecret = options.secretsFor(other.name)[0];
    if (otherSecret !== undefined && matches(shape.key(otherSecret), head, body)) {
      return { signedContent, secrets, hint: `The signature was made with the secret of ${other.secretVariable}, not ${scheme.secretVariable}: each scheme has its own.` };
    }
  }
  return { signedContent, secrets };
}
