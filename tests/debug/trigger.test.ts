import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app';
import { runTrigger, type TriggerIo } from '../../src/cli/trigger';
import { CATALOGUE, type Provider } from '../../src/trigger/catalogue';
import { makeDeps, TEST_SCHEME_SECRETS, TEST_SECRET_ENV } from '../helpers/deps';
import { verifyingApp } from '../helpers/verifying-app';

const ENTRIES = (Object.keys(CATALOGUE) as Provider[]).flatMap((provider) => Object.keys(CATALOGUE[provider]).map((event) => [provider, event] as const));

function io(env: Record<string, string> = TEST_SECRET_ENV): TriggerIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    env,
    out,
    err,
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    now: () => Date.now(),
    fetch: async (url, init) => fetch(url, { ...init, body: new Uint8Array(init.body) }),
  };
}

describe('npm run trigger', () => {
  it('covers the events the issue names', () => {
    expect(Object.keys(CATALOGUE.stripe)).toEqual(expect.arrayContaining(['payment_intent.succeeded', 'charge.refunded', 'customer.subscription.updated', 'invoice.payment_failed']));
    expect(Object.keys(CATALOGUE.github)).toEqual(expect.arrayContaining(['push', 'pull_request', 'issues', 'ping']));
    expect(Object.keys(CATALOGUE.standard).length).toBeGreaterThan(0);
    expect(Object.keys(CATALOGUE.native).length).toBeGreaterThan(0);
  });

  it.each(ENTRIES.filter(([provider]) => provider !== 'native'))("sends %s %s, which the provider's own library verifies", async (provider, event) => {
    const app = await verifyingApp(provider, TEST_SCHEME_SECRETS[provider]);
    const cli = io();
    const code = await runTrigger([provider, event, '--to', app.url], cli);
    await app.close();

    expect(cli.err).toEqual([]);
    expect(code).toBe(0);
    expect(app.verified).toHaveLength(1);
    const { event: parsed, headers } = app.verified[0]!;
    const verified = parsed as Record<string, unknown>;
    if (provider === 'github') expect(headers['x-github-event']).toBe(event);
    else expect(verified.type).toBe(event);
  });

  it('sends every catalogue entry to this server, which verifies each with its own secrets and records its scheme and type', async () => {
    const deps = makeDeps();
    const server = createApp(deps).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/receive`;
    try {
      for (const [provider, event] of ENTRIES) {
        const cli = io();
        expect([provider, event, await runTrigger([provider, event, '--to', url], cli)]).toEqual([provider, event, 0]);
        expect(cli.out.join('')).toMatch(/: 200\n\{"received":true/);
      }
      const items = (await deps.history.list({ limit: 100 })).items;
      expect(items.map((e) => [e.scheme, e.eventType, e.status]).sort()).toEqual(ENTRIES.map(([p, e]) => [p, e, 'accepted']).sort());
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('defaults to this server on PORT, and exits 1 naming the URL when nothing listens there', async () => {
    const cli = io({ ...TEST_SECRET_ENV, PORT: '1' });
    expect(await runTrigger(['github', 'ping'], cli)).toBe(1);
    expect(cli.err.join('')).toMatch(/could not reach http:\/\/localhost:1\/webhook\/receive/);
  });

  it('exits 2 with the catalogue for an unknown event, and names the variable when no secret is set', async () => {
    const unknown = io();
    expect(await runTrigger(['stripe', 'nope'], unknown)).toBe(2);
    expect(unknown.err.join('')).toMatch(/no sample "nope" for "stripe"[\s\S]*payment_intent\.succeeded/);
    const noSecret = io({});
    expect(await runTrigger(['stripe', 'charge.refunded', '--to', 'http://localhost:1/'], noSecret)).toBe(2);
    expect(noSecret.err.join('')).toMatch(/set STRIPE_WEBHOOK_SECRET/);
  });
});

describe('POST /webhook/test-events (the page\'s "Send test event")', () => {
  it('sends a sample signed with the configured secret, which this server accepts', async () => {
    const deps = makeDeps();
    const app = createApp(deps);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/receive`;
    const request = (await import('supertest')).default;
    try {
      const listed = await request(app).get('/webhook/test-events');
      expect(listed.body.catalogue.stripe).toContain('invoice.payment_failed');
      const sent = await request(app).post('/webhook/test-events?wait=true').send({ provider: 'stripe', event: 'invoice.payment_failed', url });
      expect(sent.status).toBe(200);
      expect(sent.body.delivery.attempts[0].statusCode).toBe(200);
      const [entry] = (await deps.history.list({ limit: 1, status: 'accepted' })).items;
      expect([entry!.scheme, entry!.eventType]).toEqual(['stripe', 'invoice.payment_failed']);
      expect((await request(app).post('/webhook/test-events').send({ provider: 'stripe', event: 'nope', url })).status).toBe(404);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
