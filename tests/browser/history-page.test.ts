import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { signNative } from '../../src/signature/native';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', 'artifacts');
const SECRET = 'browser-test-secret';
const haveChromium = existsSync(CHROMIUM);

if (!haveChromium) {
  console.warn(`Skipping the browser tests: ${CHROMIUM} is missing (scripts/install-chromium.sh installs it).`);
}

const describeWithChromium = haveChromium ? describe : describe.skip;

jest.setTimeout(60_000);

async function postSigned(baseUrl: string, body: string, id: string, event: string): Promise<Response> {
  const timestamp = Math.floor(Date.now() / 1000);
  return fetch(`${baseUrl}/webhook/receive`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-webhook-id': id,
      'x-webhook-event': event,
      'x-webhook-timestamp': String(timestamp),
      'x-webhook-signature': signNative(SECRET, timestamp, body),
    },
    body,
  });
}

/** A local endpoint that records what it receives, for the replay button. */
async function receiver(): Promise<{ url: string; received: Promise<{ headers: IncomingHttpHeaders; body: string }>; server: Server }> {
  let resolve!: (value: { headers: IncomingHttpHeaders; body: string }) => void;
  const received = new Promise<{ headers: IncomingHttpHeaders; body: string }>((r) => (resolve = r));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.end('thanks');
      resolve({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received, server };
}

describeWithChromium('the history page in Chromium', () => {
  let running: RunningServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    running = await start(
      { PORT: '0', HOST: '127.0.0.1', WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'silent', SEND_BASE_DELAY_MS: '10' },
      { logger: pino({ level: 'silent' }) },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
  });

  beforeEach(async () => {
    problems = [];
    page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  });

  afterEach(async () => {
    await page?.close();
  });

  it('loads with no console errors and says it is live', async () => {
    await page.goto(`${running.url}/`);
    await page.locator('#live[data-state="live"]').waitFor();

    expect(problems).toEqual([]);
  });

  it('shows a webhook posted while the page is open, without a reload, and opens it with Enter', async () => {
    await page.goto(`${running.url}/`);
    await page.locator('#live[data-state="live"]').waitFor();

    const body = JSON.stringify({ userId: '123', email: 'user@example.com', plan: { name: 'pro', seats: 5, trial: false } });
    expect((await postSigned(running.url, body, 'evt_browser_1', 'user.created')).status).toBe(200);
    const row = page.locator('tr[data-id="evt_browser_1"]');
    await row.waitFor();
    await row.focus();
    await page.keyboard.press('Enter');

    const detail = page.locator('#detail');
    await detail.locator('pre.code').waitFor();
    expect(await detail.locator('pre.code').textContent()).toContain('"email": "user@example.com"');
    expect(await detail.locator('.j-key').first().textContent()).toBe('"userId"');
    expect(await detail.locator('table.headers .badge.redacted').count()).toBeGreaterThan(0);
    expect(page.url()).toContain('#/event/evt_browser_1');
    await page.screenshot({ path: path.join(ARTIFACTS, 'history-detail-wide.png') });
    expect(problems).toEqual([]);
  });

  it('renders attacker-controlled payloads as text, never as markup', async () => {
    const hostile = JSON.stringify({ html: '<img src=x id=pwned onerror="document.title=1">', note: '</pre><script>alert(1)</script>' });
    expect((await postSigned(running.url, hostile, 'evt_hostile', '<b id=pwned2>bold</b>')).status).toBe(200);

    await page.goto(`${running.url}/#/event/evt_hostile`);
    await page.locator('#detail pre.code').waitFor();

    expect(await page.locator('#pwned, #pwned2').count()).toBe(0);
    expect(await page.locator('#detail pre.code').textContent()).toContain('<img src=x id=pwned');
    expect(await page.locator('#detail h2').textContent()).toBe('<b id=pwned2>bold</b>');
    expect(problems).toEqual([]);
  });

  it('replays an event to a local receiver with the replay button, and lists the delivery with its attempts', async () => {
    const target = await receiver();
    const body = '{"orderId": 42,  "total": "9.99"}';
    expect((await postSigned(running.url, body, 'evt_replay_me', 'order.paid')).status).toBe(200);

    await page.goto(`${running.url}/#/event/evt_replay_me`);
    await page.locator('form.replay input[name="url"]').fill(target.url);
    await page.locator('form.replay button[type="submit"]').click();
    const got = await target.received;
    await page.locator('form.replay .result a').waitFor();

    expect(got.body).toBe(body);
    expect(got.headers['x-webhook-id']).toBe('evt_replay_me');
    expect(got.headers['x-webhook-signature']).toBe(signNative(SECRET, String(got.headers['x-webhook-timestamp']), body));

    await page.locator('form.replay .result a').click();
    await page.locator('#delivery-detail table.attempts tbody tr').first().waitFor();
    expect(await page.locator('#delivery-detail table.attempts').textContent()).toContain('200');
    await page.screenshot({ path: path.join(ARTIFACTS, 'deliveries-wide.png') });

    // The delivery has ended: Retry starts a new series of attempts with the same event id.
    await page.locator('#retry-delivery').click();
    await page.locator('#delivery-detail table.attempts tbody tr:nth-child(2)').waitFor({ timeout: 5000 });
    expect(await page.locator('#delivery-detail table.attempts tbody tr').count()).toBe(2);

    await new Promise<void>((r) => target.server.close(() => r()));
    expect(problems).toEqual([]);
  });

  it('reads well on a phone', async () => {
    await postSigned(running.url, '{"ping":true}', 'evt_phone', 'ping');
    await postSigned(running.url, '{"x":1}', 'evt_phone_bad', 'invoice.created').catch(() => undefined);
    await fetch(`${running.url}/webhook/receive`, { method: 'POST', headers: { 'x-webhook-signature': 'sha256=00', 'x-webhook-timestamp': '1' }, body: '{}' });
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
    await phone.goto(`${running.url}/`);
    await phone.locator('tr[data-id="evt_phone"]').waitFor();

    // A string, evaluated in the page: the test's TypeScript has no DOM types.
    const overflow = await phone.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    await phone.screenshot({ path: path.join(ARTIFACTS, 'history-phone.png') });
    await page.goto(`${running.url}/`);
    await page.locator('tr[data-id="evt_phone"]').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'history-list-wide.png') });
    await phone.close();

    expect(overflow).toBeLessThanOrEqual(0);
  });
});

