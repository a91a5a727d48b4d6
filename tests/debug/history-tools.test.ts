import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import Stripe from 'stripe';
import { createApp } from '../../src/app';
import { makeDeps, TEST_SCHEME_SECRETS } from '../helpers/deps';
import { recordingFetch } from '../helpers/fetch';
import { referenceHeaders } from '../helpers/reference-sign';
import { nativeHeaders } from '../helpers/sign';

const stripe = new Stripe('sk_test_interop');

async function seeded(count = 3) {
  const { fetch, requests } = recordingFetch();
  const deps = makeDeps({ fetch });
  const app = createApp(deps);
  for (let i = 0; i < count; i += 1) {
    const body = `{"n":${i}}`;
    await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: Date.now(), id: `evt_${i}` })).send(body).expect(200);
  }
  await request(app).post('/webhook/receive').set({ ...nativeHeaders('{}', { nowMs: Date.now() }), 'x-webhook-signature': `sha256=${'0'.repeat(64)}` }).send('{}').expect(401);
  return { deps, app, requests };
}

describe('GET /webhook/history/export', () => {
  it('streams every entry as NDJSON, one per line, with signatures still redacted', async () => {
    const { app } = await seeded(120); // more than one page of the export
    const res = await request(app).get('/webhook/history/export').buffer(true);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = res.text.trim().split('\n').map((l) => JSON.parse(l) as { id: string; headers: Record<string, string> });
    expect(lines).toHaveLength(121);
    expect(new Set(lines.map((l) => l.id)).size).toBe(121);
    expect(lines.every((l) => l.headers['x-webhook-signature'] === '[redacted]')).toBe(true);
  });

  it('exports a HAR 1.2 log with each request, its exact body and the status it was answered', async () => {
    const { app } = await seeded(2);
    const res = await request(app).get('/webhook/history/export?format=har').buffer(true);
    const har = JSON.parse(res.text) as { log: { version: string; entries: { request: { postData: { text: string }; headers: { name: string; value: string }[] }; response: { status: number } }[] } };
    expect(har.log.version).toBe('1.2');
    expect(har.log.entries.map((e) => e.response.status).sort()).toEqual([200, 200, 401]);
    expect(har.log.entries.map((e) => e.request.postData.text)).toContain('{"n":1}');
    expect(JSON.stringify(har)).not.toMatch(/sha256=[0-9a-f]{64}/);
  });

  it('refuses an unknown format with 400', async () => {
    const { app } = await seeded(0);
    expect((await request(app).get('/webhook/history/export?format=csv')).status).toBe(400);
  });
});

describe('GET /webhook/history/:id/curl', () => {
  it('mode=fresh prints a curl command signed afresh, which Stripe verifies when run', async () => {
    const deps = makeDeps();
    const app = createApp(deps);
    const body = '{"id":"evt_curl","object":"event","type":"charge.refunded","data":{"object":{"note":"it\'s"}}}';
    await request(app).post('/webhook/receive').set(referenceHeaders('stripe', body, { secret: TEST_SCHEME_SECRETS.stripe, nowMs: Date.now() })).send(body).expect(200);

    const res = await request(app).get('/webhook/history/evt_curl/curl?url=http://localhost:4000/hooks');
    expect(res.status).toBe(200);
    // Run the printed command with a fake curl that prints its arguments, to read what it would send.
    const args = JSON.parse(execFileSync('bash', ['-c', `curl() { node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- "$@"; }\n${res.text}`]).toString()) as string[];
    const signature = args[args.indexOf('-H', args.findIndex((a) => a.startsWith('stripe-signature')) - 1) + 1]!.slice('stripe-signature: '.length);
    const sentBody = args[args.indexOf('--data-raw') + 1]!;
    expect(sentBody).toBe(body);
    expect(stripe.webhooks.constructEvent(sentBody, signature, TEST_SCHEME_SECRETS.stripe).id).toBe('evt_curl');
  });

  it('mode=original prints the request as recorded, its signature redacted', async () => {
    const { app } = await seeded(1);
    const res = await request(app).get('/webhook/history/evt_0/curl?mode=original');
    expect(res.text).toContain("--data-raw '{\"n\":0}'");
    expect(res.text).toContain("'x-webhook-signature: [redacted]'");
  });
});

describe('POST /webhook/history/:id/replay with an edited body and headers', () => {
  it('sends the edited body with the extra header, signed afresh in the chosen scheme', async () => {
    const { app, deps, requests } = await seeded(1);
    const res = await request(app)
      .post('/webhook/history/evt_0/replay?wait=true')
      .send({ url: 'http://replay.test/hooks', body: '{"n":42}', headers: { 'X-Tenant': 'acme', 'X-Webhook-Signature': 'sha256=forged' } });
    expect(res.status).toBe(200);
    const sent = requests.at(-1)!;
    expect(sent.body.toString()).toBe('{"n":42}');
    expect(sent.headers['x-tenant']).toBe('acme');
    const timestamp = sent.headers['x-webhook-timestamp']!;
    const { signNative } = await import('../../src/signature/native');
    expect(sent.headers['x-webhook-signature']).toBe(signNative(deps.config.secrets[0]!, timestamp, '{"n":42}'));
  });
});

it('the export answers a real client over a socket', async () => {
  const { app } = await seeded(1);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/history/export`);
    expect((await res.text()).trim().split('\n')).toHaveLength(2);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
