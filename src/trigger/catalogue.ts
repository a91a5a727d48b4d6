import type { SchemeName } from '../signature/types';

/**
 * Sample events for `npm run trigger` and the page's "Send test event" (issue 16.2): realistic payloads written
 * for this project (shaped like the providers' documented examples, every value made up), each sent in its
 * provider's signature scheme.
 */
export type Provider = SchemeName;

export interface SampleIds {
  /** A fresh event id in the provider's shape (`evt_...`, a UUID, `msg_...`): triggering twice is two events. */
  readonly eventId: string;
  /** ms since the epoch. */
  readonly nowMs: number;
}

export interface SampleEvent {
  readonly scheme: SchemeName;
  /** The event type: in the body (stripe, standard) or in a header (github, native). */
  readonly eventType: string;
  readonly eventId: string;
  /** The exact bytes to sign and send. */
  readonly body: string;
}

type Build = (ids: SampleIds) => unknown;

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** Stripe's event object around `object` (https://docs.stripe.com/api/events/object). */
function stripeEvent(type: string, object: Record<string, unknown>, previous?: Record<string, unknown>): Build {
  return ({ eventId, nowMs }) => ({
    id: eventId,
    object: 'event',
    api_version: '2024-06-20',
    created: seconds(nowMs),
    data: previous ? { object, previous_attributes: previous } : { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: 'req_test_debugger', idempotency_key: null },
    type,
  });
}

const REPOSITORY = {
  id: 815_432_001,
  name: 'webhook-demo',
  full_name: 'octo-demo/webhook-demo',
  private: false,
  owner: { login: 'octo-demo', id: 9_001_234, type: 'Organization' },
  html_url: 'https://github.com/octo-demo/webhook-demo',
  default_branch: 'main',
};
const SENDER = { login: 'zoe-dev', id: 4_242_424, type: 'User' };

export const CATALOGUE: Readonly<Record<Provider, Readonly<Record<string, Build>>>> = {
  stripe: {
    'payment_intent.succeeded': stripeEvent('payment_intent.succeeded', {
      id: 'pi_3Debug0000000001',
      object: 'payment_intent',
      amount: 2000,
      amount_received: 2000,
      currency: 'eur',
      customer: 'cus_Debug0000000001',
      description: 'Order #1042',
      metadata: { order_id: '1042' },
      payment_method_types: ['card'],
      status: 'succeeded',
    }),
    'charge.refunded': stripeEvent('charge.refunded', {
      id: 'ch_3Debug0000000002',
      object: 'charge',
      amount: 2000,
      amount_refunded: 2000,
      currency: 'eur',
      payment_intent: 'pi_3Debug0000000001',
      refunded: true,
      status: 'succeeded',
    }),
    'customer.subscription.updated': stripeEvent(
      'customer.subscription.updated',
      {
        id: 'sub_1Debug0000000003',
        object: 'subscription',
        customer: 'cus_Debug0000000001',
        status: 'active',
        cancel_at_period_end: false,
        items: { object: 'list', data: [{ id: 'si_Debug0000000001', price: { id: 'price_pro_monthly', unit_amount: 4900, currency: 'eur', recurring: { interval: 'month' } }, quantity: 1 }] },
      },
      { items: { object: 'list', data: [{ id: 'si_Debug0000000001', price: { id: 'price_basic_monthly', unit_amount: 1900 } }] } },
    ),
    'invoice.payment_failed': stripeEvent('invoice.payment_failed', {
      id: 'in_1Debug0000000004',
      object: 'invoice',
      customer: 'cus_Debug0000000001',
      subscription: 'sub_1Debug0000000003',
      amount_due: 4900,
      amount_paid: 0,
      attempt_count: 1,
      currency: 'eur',
      next_payment_attempt: 1_767_225_600,
      status: 'open',
    }),
  },
  github: {
    push: () => ({
      ref: 'refs/heads/main',
      before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      after: '59b20b8d5c6ff8d09518216e4a6b6a1d4c7bd1f4',
      created: false,
      deleted: false,
      forced: false,
      compare: 'https://github.com/octo-demo/webhook-demo/compare/6113728f27ae...59b20b8d5c6f',
      commits: [
        {
          id: '59b20b8d5c6ff8d09518216e4a6b6a1d4c7bd1f4',
          message: 'Verify webhook signatures on the raw body',
          author: { name: 'Zoë Dev', email: 'zoe@example.com', username: 'zoe-dev' },
          added: [],
          removed: [],
          modified: ['src/webhooks.ts'],
        },
      ],
      head_commit: { id: '59b20b8d5c6ff8d09518216e4a6b6a1d4c7bd1f4', message: 'Verify webhook signatures on the raw body' },
      pusher: { name: 'zoe-dev', email: 'zoe@example.com' },
      repository: REPOSITORY,
      sender: SENDER,
    }),
    pull_request: () => ({
      action: 'opened',
      number: 17,
      pull_request: {
        id: 1_987_654_321,
        number: 17,
        state: 'open',
        title: 'Forward webhooks in their own dialect',
        user: SENDER,
        head: { ref: 'forward-dialect', sha: '59b20b8d5c6ff8d09518216e4a6b6a1d4c7bd1f4' },
        base: { ref: 'main', sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246' },
        draft: false,
        merged: false,
        html_url: 'https://github.com/octo-demo/webhook-demo/pull/17',
      },
      repository: REPOSITORY,
      sender: SENDER,
    }),
    issues: () => ({
      action: 'opened',
      issue: {
        id: 2_345_678_901,
        number: 16,
        title: 'Stripe forwards fail verification',
        state: 'open',
        user: SENDER,
        labels: [{ name: 'bug' }],
        body: 'constructEvent throws: No signatures found matching the expected signature for payload.',
        html_url: 'https://github.com/octo-demo/webhook-demo/issues/16',
      },
      repository: REPOSITORY,
      sender: SENDER,
    }),
    ping: () => ({
      zen: 'Keep it logically awesome.',
      hook_id: 512_345_678,
      hook: { type: 'Repository', id: 512_345_678, active: true, events: ['push', 'pull_request', 'issues'], config: { content_type: 'json', insecure_ssl: '0', url: 'https://example.com/webhook/receive' } },
      repository: REPOSITORY,
      sender: SENDER,
    }),
  },
  standard: {
    'invoice.paid': ({ nowMs }) => ({ type: 'invoice.paid', timestamp: new Date(nowMs).toISOString(), data: { invoiceId: 'inv_1042', amount: 4200, currency: 'EUR', customerId: 'cust_77' } }),
    'user.created': ({ nowMs }) => ({ type: 'user.created', timestamp: new Date(nowMs).toISOString(), data: { userId: 'usr_123', email: 'user@example.com', name: 'Zoë O\'Brien' } }),
  },
  native: {
    'user.created': () => ({ userId: '123', email: 'user@example.com' }),
    'order.paid': () => ({ orderId: 'ord_1042', amountCents: 4200, currency: 'EUR', items: [{ sku: 'TSHIRT-M', quantity: 2 }] }),
  },
};

/** Every provider and its events, for usage messages and the page. */
export function catalogueIndex(): Record<Provider, string[]> {
  return Object.fromEntries(Object.entries(CATALOGUE).map(([provider, events]) => [provider, Object.keys(events)])) as Record<Provider, string[]>;
}

/** The sample `event` of `provider` with fresh ids, or undefined when the catalogue has none. */
export function sampleEvent(provider: string, event: string, ids: SampleIds): SampleEvent | undefined {
  const build = Object.hasOwn(CATALOGUE, provider) ? CATALOGUE[provider as Provider][event] : undefined;
  if (!build || !Object.hasOwn(CATALOGUE[provider as Provider], event)) return undefined;
  return { scheme: provider as Provider, eventType: event, eventId: ids.eventId, body: JSON.stringify(build(ids)) };
}
