import request from 'supertest';
import type { DeliveryRecord } from '../../src/sender/delivery-store';
import { expectError } from '../helpers/app';
import { nextTurn } from '../helpers/async';
import { heldSleep, nativeVerifies, providerApp, standardVerifies, type Backend, type ProviderApp } from '../helpers/endpoints';

describe.each<Backend>(['memory', 'sqlite'])('POST /webhook/events (%s)', (backend) => {
  let p: ProviderApp;
  beforeEach(() => {
    p = providerApp({ backend });
  });
  afterEach(() => p.close());

  it('fans one event out to each matching endpoint, each signed with its own secret and scheme', async () => {
    const invoices = await p.createEndpoint({ url: 'https://a.example/hooks', eventTypes: ['invoice.*'], scheme: 'standard' });
    const exact = await p.createEndpoint({ url: 'https://b.example/hooks', eventTypes: ['invoice.paid'], scheme: 'native' });
    const all = await p.createEndpoint({ url: 'https://c.example/hooks', scheme: 'native', headers: { 'X-Tenant': 't1' } });
    await p.createEndpoint({ url: 'https://d.example/hooks', eventTypes: ['user.*'] });
    await p.createEndpoint({ url: 'https://e.example/hooks', enabled: false });

    const res = await p.publish({ eventType: 'invoice.paid', payload: { amount: 42 } });

    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ appId: 'default', eventType: 'invoice.paid', duplicate: false });
    const eventId = res.body.eventId as string;
    expect(res.body.deliveries.map((d: { endpointId: string }) => d.endpointId)).toEqual([invoices.endpoint.id, exact.endpoint.id, all.endpoint.id]);
    expect(p.calls.map((c) => c.url).sort()).toEqual(['https://a.example/hooks', 'https://b.example/hooks', 'https://c.example/hooks']);
    const to = (host: string) => p.calls.find((c) => c.url.includes(host))!;

    // standard: the reference library verifies with this endpoint's secret, and no other's.
    expect(invoices.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(standardVerifies(invoices.secret, to('a.example'))).toBe(true);
    expect(to('a.example').headers.get('webhook-id')).toBe(eventId);
    expect(JSON.parse(to('a.example').body.toString())).toMatchObject({ type: 'invoice.paid', data: { amount: 42 } });
    // native: HMAC of `<timestamp>.<body>` with this endpoint's secret.
    expect(nativeVerifies(exact.secret, to('b.example'))).toBe(true);
    expect(nativeVerifies(all.secret, to('b.example'))).toBe(false);
    expect(nativeVerifies(all.secret, to('c.example'))).toBe(true);
    expect(to('c.example').headers.get('x-webhook-id')).toBe(eventId);
    expect(to('c.example').headers.get('x-tenant')).toBe('t1');
    expect(JSON.parse(to('c.example').body.toString())).toEqual({ amount: 42 });

    // Each delivery says where it came from, so the page links it to its endpoint.
    const record = (await request(p.app).get(`/webhook/deliveries/${res.body.deliveries[2].deliveryId}`)).body as DeliveryRecord;
    expect(record).toMatchObject({ eventId, status: 'delivered', source: { kind: 'endpoint', endpointId: all.endpoint.id, appId: 'default' } });
  });

  it("never sends one customer's events to another customer's endpoints", async () => {
    const acme = await p.createEndpoint({ appId: 'acme', url: 'https://acme.example/hooks' });
    const globex = await p.createEndpoint({ appId: 'globex', url: 'https://globex.example/hooks' });

    const toAcme = await p.publish({ appId: 'acme', eventType: 'user.created', payload: { n: 1 } });
    const toGlobex = await p.publish({ appId: 'globex', eventType: 'user.created', payload: { n: 2 } });
    const toDefault = await p.publish({ eventType: 'user.created', payload: { n: 3 } });

    expect(toAcme.body.deliveries).toEqual([{ deliveryId: expect.any(String), endpointId: acme.endpoint.id }]);
    expect(toGlobex.body.deliveries).toEqual([{ deliveryId: expect.any(String), endpointId: globex.endpoint.id }]);
    expect(toDefault.body.deliveries).toEqual([]);
    expect(p.calls.map((c) => [c.url, JSON.parse(c.body.toString()).n])).toEqual([
      ['https://acme.example/hooks', 1],
      ['https://globex.example/hooks', 2],
    ]);
  });

  it('is idempotent on eventId within a customer, and only within it', async () => {
    await p.createEndpoint({ appId: 'acme', url: 'https://acme.example/hooks' });
    await p.createEndpoint({ appId: 'globex', url: 'https://globex.example/hooks' });

    const first = await p.publish({ appId: 'acme', eventType: 'user.created', payload: {}, eventId: 'evt-1' });
    const again = await p.publish({ appId: 'acme', eventType: 'user.created', payload: { other: true }, eventId: 'evt-1' });
    const otherCustomer = await p.publish({ appId: 'globex', eventType: 'user.created', payload: {}, eventId: 'evt-1' });

    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ ...first.body, duplicate: true });
    expect(otherCustomer.body.duplicate).toBe(false);
    expect(p.calls.map((c) => c.url)).toEqual(['https://acme.example/hooks', 'https://globex.example/hooks']);
    expect(p.calls.map((c) => c.headers.get('x-webhook-id'))).toEqual(['evt-1', 'evt-1']);
  });

  it('answers 202 with an empty list when no endpoint matches', async () => {
    await p.createEndpoint({ url: 'https://a.example/hooks', eventTypes: ['invoice.*'] });
    const res = await p.publish({ eventType: 'user.created', payload: {} });
    expect(res.status).toBe(202);
    expect(res.body.deliveries).toEqual([]);
    expect(p.calls).toHaveLength(0);
  });

});

describe.each<Backend>(['memory', 'sqlite'])('rate limit (%s)', (backend) => {
  it('delays the deliveries of a rate-limited endpoint to its rate in the outbox, dropping none', async () => {
    const held = heldSleep();
    const p = providerApp({ backend, sleep: held.factory });
    try {
      await p.createEndpoint({ url: 'https://slow.example/hooks', rateLimit: 2 });
      const start = p.clock.now();
      const ids: string[] = [];
      for (const n of [1, 2, 3]) ids.push((await request(p.app).post('/webhook/events').send({ eventType: 'tick', payload: { n } })).body.deliveries[0].deliveryId);
      // Due at the endpoint's next free slots, waiting in the outbox rather than in a sleep each.
      const waiting = await Promise.all(ids.map((id) => request(p.app).get(`/webhook/deliveries/${id}`)));
      expect(waiting.slice(1).map((r) => Date.parse(r.body.nextAttemptAt) - start)).toEqual([500, 1000]);
      const settled = Promise.all(ids.map((id) => p.deps.sender.settled(id)));
      for (let turn = 0; turn < 200 && p.calls.length < 3; turn += 1) {
        await nextTurn();
        held.release();
      }
      const records = await settled;
      expect(records.map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered']);
      expect(records.map((r) => Date.parse(r.attempts[0]!.startedAt) - start)).toEqual([0, 500, 1000]);
    } finally {
      await p.close();
    }
  });
});

describe('POST /webhook/events: bad requests', () => {
  let p: ProviderApp;
  beforeEach(() => {
    p = providerApp();
  });
  afterEach(() => p.close());

  it('names each bad field in a 400', async () => {
    const res = await request(p.app).post('/webhook/events').send({ eventType: '', appId: 'no spaces', eventId: 7, extra: 1 });
    expectError(res, 400, 'request.invalid');
    const message = res.body.error.message as string;
    for (const field of ['eventType', 'payload', 'appId', 'eventId', 'extra']) expect(message).toContain(`${field}:`);
  });

  it('refuses a body that is not a JSON object', async () => {
    const res = await request(p.app).post('/webhook/events').set('content-type', 'application/json').send('[1]');
    expectError(res, 400, 'request.invalid');
  });
});

describe('retry schedule per endpoint', () => {
  it("retries an endpoint on the svix schedule with Svix's ladder, and another on the exponential one", async () => {
    let svixCalls = 0;
    const p = providerApp({ answer: (call) => (call.url.includes('svix') ? (++svixCalls < 8 ? 503 : 200) : 200) });
    try {
      await p.createEndpoint({ url: 'https://svix.example/hooks', retrySchedule: 'svix' });
      const res = await p.publish({ eventType: 'a', payload: 1 });
      const record = (await request(p.app).get(`/webhook/deliveries/${res.body.deliveries[0].deliveryId}`)).body as DeliveryRecord;
      expect(record).toMatchObject({ status: 'delivered', maxAttempts: 8, retrySchedule: 'svix' });
      const started = record.attempts.map((a) => Date.parse(a.startedAt));
      const gaps = started.slice(1).map((t, i) => t - started[i]!);
      expect(gaps).toEqual([5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
      // The same event id on every attempt, so the receiver can dedupe whichever of them it saw.
      expect(new Set(p.calls.map((c) => c.headers.get('x-webhook-id')))).toEqual(new Set([res.body.eventId]));
      expect(p.calls).toHaveLength(8);
    } finally {
      await p.close();
    }
  });
});
