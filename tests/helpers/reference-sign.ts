import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { Webhook } from 'standardwebhooks';
import { signNative } from '../../src/signature/native';
import type { SchemeName } from '../../src/signature/types';

/** Any API key does: generating a test header never talks to Stripe. */
const stripe = new Stripe('sk_test_interop');

export interface ReferenceSignOptions {
  readonly secret: string;
  /** The sender's clock, in ms since the epoch. */
  readonly nowMs: number;
  /** The event id; for stripe it travels in the body, so it is ignored here. */
  readonly id?: string;
  /** The event type; for standard and stripe it travels in the body, so it is ignored here. */
  readonly event?: string;
  /** `webhook-` (default) or `svix-`, for the standard scheme. */
  readonly standardPrefix?: 'webhook-' | 'svix-';
}

/**
 * Headers for `body` signed the way each dialect's own sender does it, by the reference implementation
 * where one is installed: `standardwebhooks` and Stripe's `generateTestHeaderString`; GitHub's HMAC as its
 * documentation writes it (GitHub publishes no signing library); native with our own signer.
 */
export function referenceHeaders(scheme: SchemeName, body: string, options: ReferenceSignOptions): Record<string, string> {
  const seconds = Math.floor(options.nowMs / 1000);
  const json = { 'content-type': 'application/json' };
  switch (scheme) {
    case 'standard': {
      const id = options.id ?? 'msg_interop';
      const prefix = options.standardPrefix ?? 'webhook-';
      return {
        ...json,
        [`${prefix}id`]: id,
        [`${prefix}timestamp`]: String(seconds),
        [`${prefix}signature`]: new Webhook(options.secret).sign(id, new Date(options.nowMs), body),
      };
    }
    case 'stripe':
      return {
        ...json,
        'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: options.secret, timestamp: seconds }),
      };
    case 'github': {
      // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
      const digest = createHmac('sha256', options.secret).update(body, 'utf8').digest('hex');
      return {
        ...json,
        'x-hub-signature-256': `sha256=${digest}`,
        'x-github-event': options.event ?? 'push',
        'x-github-delivery': options.id ?? '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      };
    }
    case 'native': {
      const headers: Record<string, string> = {
        ...json,
        'x-webhook-timestamp': String(seconds),
        'x-webhook-event': options.event ?? 'user.created',
        'x-webhook-signature': signNative(options.secret, seconds, body),
      };
      if (options.id !== undefined) headers['x-webhook-id'] = options.id;
      return headers;
    }
  }
}

/** Two Standard Webhooks style secrets: base64 key bytes for standard, plain text for the others. */
export const NEW_SECRET = 'whsec_bmV3LXNlY3JldC1ieXRlcy1mb3ItdGhlLXRlc3Rz';
export const OLD_SECRET = 'whsec_b2xkLXNlY3JldC1ieXRlcy1mb3ItdGhlLXRlc3Rz';
export const THIRD_SECRET = 'whsec_dGhpcmQtc2VjcmV0LW5vYm9keS1jb25maWd1cmVk';
