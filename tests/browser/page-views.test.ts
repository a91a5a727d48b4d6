import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { postNative, receiverAnswering, SEED_SECRETS, seedRealisticHistory } from './seed';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', 'artifacts');
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;
const run = promisify(execFile);

jest.setTimeout(90_000);

const SIZES = [
  { name: 'wide', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
] as const;

// Strings evaluated in the page: the tests' TypeScript has no DOM types.
const OVERFLOW = 'document.documentElement.scrollWidth - document.documentElement.clientWidth';
const rect = (selector: string): string => `(() => { const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect(); return { top: r.top, bottom: r.bottom }; })()`;
const FOCUSED_ROW = 'document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.id : null';

describeWithChromium('the history page at 1280x800 and 390x844', () => {
  let running: RunningServer;
  let browser: Browser;
  const pages: Page[] = [];

  async function open(size: (typeof SIZES)[number], urlPath = '/'): Promise<Page> {
    const page = await browser.newPage({ viewport: size.viewport, ...(size.name === 'phone' ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}) });
    pages.push(page);
    await page.goto(`${running.url}${urlPath}`);
    await page.locator('#live[data-state="live"]').waitFor();
    return page;
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    running = await start({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEND_BASE_DELAY_MS: '20', SEND_MAX_DELAY_MS: '40', ...SEED_SECRETS }, { logger: pino({ level: 'silent' }) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    await seedRealisticHistory(running.url);
    // One large event (past the highlighting limit) and enough events to scroll on a phone.
    await postNative(running.url, 'report.generated', { rows: Array.from({ length: 3000 }, (_, i) => ({ row: i, value: `value number ${i} of the report` })) }, 'evt_large_report');
    for (let i = 0; i < 25; i += 1) await postNative(running.url, 'ping.scheduled', { n: i }, `evt_filler_${i}`);
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
  });

  describe.each(SIZES)('at $name size', (size) => {
    it('never scrolls sideways: the list, a large event, the deliveries and a delivery with its attempts', async () => {
      const target = await receiverAnswering(503, 200);
      const replay = await fetch(`${running.url}/webhook/history/evt_01JF3Q9B7C/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${target.url}/a/rather/long/path/that/keeps/going/on/and/on?with=query&and=more` }),
      });
      const { delivery } = (await replay.json()) as { delivery: { id: string } };
      const page = await open(size);
      const overflow: Record<string, number> = {};

      await page.locator('tr[data-id="evt_01JF3QA2D4"]').waitFor();
      overflow.list = await page.evaluate<number>(OVERFLOW);
      await page.screenshot({ path: path.join(ARTIFACTS, `list-${size.name}.png`) });
      await page.goto(`${running.url}/#/event/evt_large_report`);
      await page.locator('#detail .notice').waitFor();
      overflow.largeEvent = await page.evaluate<number>(OVERFLOW);
      await page.goto(`${running.url}/#/deliveries`);
      await page.locator(`tr[data-id="${delivery.id}"]`).waitFor();
      overflow.deliveries = await page.evaluate<number>(OVERFLOW);
      await page.goto(`${running.url}/#/deliveries/${delivery.id}`);
      await page.locator('#delivery-detail table.attempts tbody tr:nth-child(2)').waitFor();
      overflow.delivery = await page.evaluate<number>(OVERFLOW);
      await page.screenshot({ path: path.join(ARTIFACTS, `delivery-${size.name}.png`) });
      await target.close();

      expect(overflow).toEqual({ list: 0, largeEvent: 0, deliveries: 0, delivery: 0 });
      expect(await page.locator('#delivery-detail').textContent()).toContain('replay of evt_01JF3Q9B7C');
    });

    it('shows the opened item below the header, even one opened far down the list', async () => {
      const page = await open(size);
      const row = page.locator('tr[data-id="evt_01JF3QB5E8"]');
      await row.scrollIntoViewIfNeeded();
      await row.click();
      await page.locator('#detail-title').waitFor();
      await page.locator('#detail pre.code').waitFor();

      const header = await page.evaluate<{ top: number; bottom: number }>(rect('header.bar'));
      const title = await page.evaluate<{ top: number; bottom: number }>(rect('#detail-title'));
      await page.screenshot({ path: path.join(ARTIFACTS, `detail-${size.name}.png`) });

      const live = await page.evaluate<{ top: number; bottom: number }>(rect('#live'));
      const heading = await page.evaluate<{ top: number; bottom: number }>(rect('header.bar h1'));
      await page.evaluate('window.scrollTo(0, 0)');
      const headerAtTop = await page.evaluate<{ top: number; bottom: number }>(rect('header.bar'));

      // The top bar is one line: "live" sits beside the title, never wrapped below it.
      expect(Math.abs((live.top + live.bottom) / 2 - (heading.top + heading.bottom) / 2)).toBeLessThan(8);
      expect(headerAtTop.bottom - headerAtTop.top).toBeLessThan(64);
      expect(title.top).toBeGreaterThanOrEqual(Math.max(header.bottom, 0));
      expect(title.bottom).toBeLessThanOrEqual(size.viewport.height);
      expect(await page.locator('#detail-title').textContent()).toBe('invoice.payment_failed');
    });
  });

  it('copies the id and the body with their Copy buttons', async () => {
    const page = await browser.newPage({ viewport: SIZES[0].viewport, permissions: ['clipboard-read', 'clipboard-write'] });
    pages.push(page);
    await page.goto(`${running.url}/#/event/evt_01JF3QC9F1`);
    await page.locator('#detail pre.code').waitFor();

    await page.locator('#detail button[data-copy="the id"]').click();
    await page.locator('#detail button[data-copy="the id"]', { hasText: 'Copied' }).waitFor();
    const id = await page.evaluate<string>('navigator.clipboard.readText()');
    await page.locator('#detail button[data-copy="the body"]').click();
    await page.locator('#detail button[data-copy="the body"]', { hasText: 'Copied' }).waitFor();
    const body = await page.evaluate<string>('navigator.clipboard.readText()');

    expect(id).toBe('evt_01JF3QC9F1');
    expect(JSON.parse(body)).toEqual({ orderId: 'ord_5531', items: 3, carrier: 'UPS', tracking: '1Z999AA10123456784' });
  });

  it('updates only the rows that changed: an update patches its row, a new webhook adds one, the rest stay as they are', async () => {
    const page = await open(SIZES[0]);
    await page.locator('tr[data-id="evt_01JF3QA2D4"]').waitFor();
    await page.evaluate("document.querySelectorAll('#rows tr').forEach((row) => { row.dataset.marked = 'yes'; })");
    const before = await page.locator('#rows tr').count();

    await postNative(running.url, 'user.created', { userId: 'usr_2041', email: 'dana@example.com', plan: 'starter' }, 'evt_01JF3Q8Z1A'); // a duplicate
    await page.locator('tr[data-id="evt_01JF3Q8Z1A"] .badge', { hasText: '+1 dup' }).waitFor();
    await postNative(running.url, 'user.updated', { userId: 'usr_2041' }, 'evt_row_new');
    await page.locator('tr[data-id="evt_row_new"]').waitFor();

    expect(await page.locator('#rows tr').count()).toBe(before + 1);
    expect(await page.locator('#rows tr:not([data-marked])').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))).toEqual(['evt_row_new']);
    expect(await page.locator('tr[data-id="evt_01JF3Q8Z1A"]').getAttribute('data-marked')).toBe('yes');
  });

  it('keeps a webhook that arrives while the list is loading', async () => {
    const page = await browser.newPage({ viewport: SIZES[0].viewport });
    pages.push(page);
    let release!: () => void;
    let fetched!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const listComputed = new Promise<void>((resolve) => (fetched = resolve));
    await page.route('**/webhook/history?*', async (route) => {
      // The list's answer is computed before the webhook below is sent, and reaches the page after it.
      const response = await route.fetch();
      fetched();
      await held;
      await route.fulfill({ response });
    });
    await page.goto(`${running.url}/`);
    await page.locator('#live[data-state="live"]').waitFor();
    await listComputed;

    await postNative(running.url, 'order.created', { orderId: 'ord_race' }, 'evt_during_load');
    await page.locator('tr[data-id="evt_during_load"]').waitFor();
    release();
    await page.locator('tr[data-id="evt_01JF3QC9F1"]').waitFor();

    expect(await page.locator('tr[data-id="evt_during_load"]').count()).toBe(1);
    expect(await page.locator('#rows tr').first().getAttribute('data-id')).toBe('evt_during_load');
  });

  it('closes the detail with its Close button on a wide screen, back to the row it came from; times carry their date', async () => {
    const page = await browser.newPage({ viewport: SIZES[0].viewport, locale: 'en-US' });
    pages.push(page);
    await page.goto(`${running.url}/#/event/evt_01JF3QB5E8`);
    await page.locator('#detail pre.code').waitFor();
    const month = new Date().toLocaleDateString('en-US', { month: 'short' });

    expect(await page.locator('#detail a.back').isVisible()).toBe(false);
    await page.locator('#detail a.close').click();

    await page.locator('#detail').waitFor({ state: 'hidden' });
    expect(await page.evaluate<string | null>(FOCUSED_ROW)).toBe('evt_01JF3QB5E8');
    expect(await page.locator('tr[data-id="evt_01JF3QB5E8"] td.time').textContent()).toMatch(new RegExp(`^${month} \\d{1,2}, `));
  });

  it('restores the filters from the URL, matches a prefix, and says "no match" rather than "empty"', async () => {
    const page = await open(SIZES[0], '/?event=invoice.*&status=accepted');
    expect(await page.locator('#filter-event').inputValue()).toBe('invoice.*');
    expect(await page.locator('#filter-status').inputValue()).toBe('accepted');

    await postNative(running.url, 'invoice.finalized', { invoiceId: 'in_2001' }, 'evt_prefix_match');
    await postNative(running.url, 'user.deleted', { userId: 'usr_1' }, 'evt_prefix_miss');
    await page.locator('tr[data-id="evt_prefix_match"]').waitFor();
    await page.locator('#filter-event').fill('nothing.matches.this');

    await page.locator('#no-match').waitFor();
    expect(page.url()).toContain('event=nothing.matches.this');
    expect(await page.locator('tr[data-id="evt_prefix_miss"]').count()).toBe(0);
    expect(await page.locator('#empty').isHidden()).toBe(true);
    expect(await page.locator('#no-match').textContent()).toContain('event type nothing.matches.this and status accepted');
  });

  it('closes the open event when a new filter no longer matches it', async () => {
    const page = await open(SIZES[0], '/#/event/evt_01JF3QC9F1');
    await page.locator('#detail pre.code').waitFor();

    await page.locator('#filter-status').selectOption('rejected');

    await page.locator('#detail').waitFor({ state: 'hidden' });
    expect(new URL(page.url()).hash).toBe('#/');
    expect(new URL(page.url()).searchParams.get('status')).toBe('rejected');
  });

  it('makes the list one Tab stop, moved within by the arrow keys, Home and End', async () => {
    const page = await open(SIZES[0]);
    await page.locator('tr[data-id="evt_01JF3QA2D4"]').waitFor();
    const ids = await page.locator('#rows tr').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { id: string } }).dataset.id));

    await page.locator('#filter-status').focus();
    await page.keyboard.press('Tab');
    const first = await page.evaluate<string | null>(FOCUSED_ROW);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const third = await page.evaluate<string | null>(FOCUSED_ROW);
    await page.keyboard.press('End');
    const last = await page.evaluate<string | null>(FOCUSED_ROW);
    await page.keyboard.press('Home');
    const home = await page.evaluate<string | null>(FOCUSED_ROW);
    await page.keyboard.press('Tab');
    const afterList = await page.evaluate<string | null>(FOCUSED_ROW);
    await page.keyboard.press('Shift+Tab');
    const back = await page.evaluate<string | null>(FOCUSED_ROW);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');

    expect(await page.locator('#rows tr[tabindex="0"]').count()).toBe(1);
    expect([first, third, last, home]).toEqual([ids[0], ids[2], ids[ids.length - 1], ids[0]]);
    expect(afterList).toBeUndefined(); // Tab left the list after one stop
    expect(back).toBe(ids[0]);
    await page.waitForURL(`**/#/event/${ids[1]}`);
  });

  it('streams deliveries: a new one appears and its retries and outcome follow, without polling', async () => {
    const target = await receiverAnswering(500, 500, 200);
    const page = await open(SIZES[0], '/#/deliveries');
    await page.locator('#delivery-rows tr, #delivery-empty').first().waitFor();
    const listRequests: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/webhook/deliveries')) listRequests.push(req.url());
    });

    const sent = await fetch(`${running.url}/webhook/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: target.url, eventType: 'order.shipped', payload: { orderId: 'ord_1' } }),
    });
    const { delivery } = (await sent.json()) as { delivery: { id: string } };
    const row = page.locator(`tr[data-id="${delivery.id}"]`);
    await row.locator('.badge.ok').waitFor();

    expect(await row.locator('td.attempts').textContent()).toBe('3');
    expect(await row.locator('td.from').textContent()).toBe('send');
    expect(listRequests).toEqual([]);
    await target.close();
  });

  it('links a delivery and the event it re-sends both ways', async () => {
    const target = await receiverAnswering(200);
    const page = await open(SIZES[0], '/#/event/evt_01JF3QC9F1');
    await page.locator('form.replay input[name="url"]').fill(target.url);
    await page.locator('form.replay button[type="submit"]').click();

    const listed = page.locator('#detail ul.deliveries-of li a');
    await listed.waitFor();
    await page.locator('#detail ul.deliveries-of .badge.ok').waitFor();
    await listed.click();
    await page.locator('#delivery-detail .source a').click();

    await page.waitForURL('**/#/event/evt_01JF3QC9F1');
    await page.locator('#detail-title').waitFor();
    expect(await page.locator('#detail-title').textContent()).toBe('order.fulfilled');
    await target.close();
  });

  // Last in this file: it clears the history the other tests read.
  it('shows, on an empty history, the full receive URL and a command that works as pasted', async () => {
    await fetch(`${running.url}/webhook/history`, { method: 'DELETE' });
    const page = await open(SIZES[1]);
    await page.locator('#empty #receive-url').waitFor();

    const url = await page.locator('#receive-url').textContent();
    const command = (await page.locator('#receive-command').textContent())!;
    await page.screenshot({ path: path.join(ARTIFACTS, 'empty-phone.png') });
    await run('bash', ['-c', command]);

    await page.locator('#rows tr').first().waitFor();
    expect(url).toBe(`${running.url}/webhook/receive`);
    expect(command).toContain(SEED_SECRETS.WEBHOOK_SECRET);
    expect(await page.locator('#rows tr td.event').first().textContent()).toBe('test.ping');
    expect(await page.locator('#rows tr .badge').first().textContent()).toBe('accepted');
  });
});
