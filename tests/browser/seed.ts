import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signGithub } from '../../src/signature/github';
import { signNative } from '../../src/signature/native';
import { signStripe } from '../../src/signature/stripe';

/** The secret the seeded server is started with; every scheme verifies with WEBHOOK_SECRET's secrets today. */
export const SEED_SECRETS = { WEBHOOK_SECRET: 'browser-test-secret' } as const;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export async function postNative(baseUrl: string, event: string, payload: unknown, id: string, options: { badSignature?: boolean } = {}): Promise<Response> {
  const body = JSON.stringify(payload);
  const timestamp = nowSeconds();
  return fetch(`${baseUrl}/webhook/receive`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-webhook-id': id,
      'x-webhook-event': event,
      'x-webhook-timestamp': String(timestamp),
      'x-webhook-signature': options.badSignature ? `sha256=${'0'.repeat(64)}` : signNative(SEED_SECRETS.WEBHOOK_SECRET, timestamp, body),
    },
    body,
  });
}

async function postStripe(baseUrl: string, payload: { id: string; type: string; [field: string]: unknown }): Promise<Response> {
  const body = JSON.stringify(payload);
  const timestamp = nowSeconds();
  return fetch(`${baseUrl}/webhook/receive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signStripe(SEED_SECRETS.WEBHOOK_SECRET, timestamp, body) },
    body,
  });
}

async function postGithub(baseUrl: string, event: string, delivery: string, payload: unknown): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(`${baseUrl}/webhook/receive`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/5f2a1c9',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': signGithub(SEED_SECRETS.WEBHOOK_SECRET, body),
    },
    body,
  });
}

/** A receiver for deliveries that answers each request with the next status of `statuses` (the last one repeats). */
export async function receiverAnswering(...statuses: number[]): Promise<{ url: string; server: Server; count: () => number; close: () => Promise<void> }> {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = statuses[Math.min(calls, statuses.length - 1)] ?? 200;
      calls += 1;
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{"ok":true}' : '{"error":"temporarily unavailable"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`,
    server,
    count: () => calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A history a developer would have after a few minutes of work: several providers, a rejection, a duplicate. */
export async function seedRealisticHistory(baseUrl: string, between: () => void = () => undefined): Promise<void> {
  const posts: (() => Promise<Response>)[] = [
    () => postGithub(baseUrl, 'push', '6c1e0a40-cf55-11ef-8f3b-2b4c1f6a1d7e', { ref: 'refs/heads/main', before: '4f2c1a9', after: '9b8e7d6', repository: { full_name: 'acme/shop' }, pusher: { name: 'dana' } }),
    () => postNative(baseUrl, 'user.created', { userId: 'usr_2041', email: 'dana@example.com', plan: 'starter' }, 'evt_01JF3Q8Z1A'),
    () => postStripe(baseUrl, { id: 'evt_3QhX2bLkdIwHu7ix1a2b', type: 'payment_intent.succeeded', data: { object: { id: 'pi_3QhX2b', amount: 4900, currency: 'usd' } } }),
    () => postNative(baseUrl, 'invoice.paid', { invoiceId: 'in_1042', customer: 'cus_88', amountDue: 4900, currency: 'usd', lines: [{ description: 'Starter plan', amount: 4900 }] }, 'evt_01JF3Q9B7C'),
    () => postNative(baseUrl, 'invoice.paid', { invoiceId: 'in_1043' }, 'evt_bad_signature', { badSignature: true }),
    () => postNative(baseUrl, 'customer.subscription.trial_will_end', { subscription: 'sub_77', trialEnd: '2026-12-09T00:00:00Z' }, 'evt_01JF3QA2D4'),
    () => postGithub(baseUrl, 'pull_request', '7d2f1b50-cf55-11ef-9a1c-5e6f7a8b9c0d', { action: 'opened', number: 214, pull_request: { title: 'Retry webhooks with jitter' } }),
    () => postNative(baseUrl, 'invoice.payment_failed', { invoiceId: 'in_1044', customer: 'cus_91', attempt: 2, nextAttempt: '2026-12-03T10:00:00Z' }, 'evt_01JF3QB5E8'),
    () => postNative(baseUrl, 'invoice.paid', { invoiceId: 'in_1042', customer: 'cus_88', amountDue: 4900, currency: 'usd', lines: [{ description: 'Starter plan', amount: 4900 }] }, 'evt_01JF3Q9B7C'), // a duplicate
    () => postNative(baseUrl, 'order.fulfilled', { orderId: 'ord_5531', items: 3, carrier: 'UPS', tracking: '1Z999AA10123456784' }, 'evt_01JF3QC9F1'),
  ];
  for (const post of posts) {
    between();
    await post();
  }
}
