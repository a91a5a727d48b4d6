import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { receiverAnswering, SEED_SECRETS } from './seed';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', 'artifacts');
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;

jest.setTimeout(90_000);

const SIZES = [
  { name: 'wide', viewport: { width: 1280, height: 800 } },
  { name: 'phone', viewport: { width: 390, height: 844 } },
] as const;

const OVERFLOW = 'document.documentElement.scrollWidth - document.documentElement.clientWidth';

describeWithChromium('the Endpoints view at 1280x800 and 390x844', () => {
  let running: RunningServer;
  let browser: Browser;
  let receiver: Awaited<ReturnType<typeof receiverAnswering>>;
  const pages: Page[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    running = await start({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...SEED_SECRETS }, { logger: pino({ level: 'silent' }) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    receiver = await receiverAnswering(200);
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
    await receiver?.close();
  });

  describe.each(SIZES)('at $name size', (size) => {
    it('creates an endpoint (secret shown once), sends a test event, rotates, disables, and never scrolls sideways', async () => {
      const page = await browser.newPage({ viewport: size.viewport, ...(size.name === 'phone' ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}) });
      pages.push(page);
      await page.goto(`${running.url}/#/endpoints`);
      const overflow: Record<string, number> = {};

      await page.locator('details.create summary').click();
      const form = page.locator('#endpoint-create form');
      await form.locator('input[name="url"]').fill(`${receiver.url}/${size.name}/a/long/path/that/keeps/going/on/and/on?with=query&and=more`);
      await form.locator('input[name="appId"]').fill(`acme-${size.name}`);
      await form.locator('input[name="eventTypes"]').fill('invoice.*');
      await form.locator('select[name="scheme"]').selectOption('standard');
      await form.locator('button[type="submit"]').click();
      const created = page.locator('#endpoint-created [data-secret]');
      await created.waitFor();
      expect(await created.textContent()).toMatch(/^whsec_/);
      overflow.list = await page.evaluate<number>(OVERFLOW);
      await page.screenshot({ path: path.join(ARTIFACTS, `endpoints-${size.name}.png`) });

      const row = page.locator('#endpoint-rows tr', { hasText: `acme-${size.name}` });
      await row.locator('a').click();
      await page.locator('#endpoint-detail h2').waitFor();
      expect(await page.locator('#endpoint-detail .facts').textContent()).toContain('invoice.*');

      const calls = receiver.count();
      await page.locator('#endpoint-detail button', { hasText: 'Send test event' }).click();
      await page.locator('#endpoint-detail .endpoint-output', { hasText: '1 delivery queued' }).waitFor();
      // The detail lists the delivery with its outcome once it is opened again (after the attempt, however long it takes).
      let shown = '';
      while (!shown.includes('delivered')) {
        await page.reload();
        const delivery = page.locator('#endpoint-detail .endpoint-deliveries tr', { hasText: 'invoice.test' });
        await delivery.waitFor();
        shown = (await delivery.textContent()) ?? '';
      }
      expect(receiver.count()).toBe(calls + 1);

      await page.locator('#endpoint-detail button', { hasText: 'Rotate secret' }).click();
      const rotated = page.locator('#endpoint-detail .endpoint-output [data-secret]');
      await rotated.waitFor();
      expect(await rotated.textContent()).toMatch(/^whsec_/);
      overflow.detail = await page.evaluate<number>(OVERFLOW);
      await page.screenshot({ path: path.join(ARTIFACTS, `endpoint-detail-${size.name}.png`), fullPage: true });

      await page.locator('#endpoint-detail button', { hasText: 'Disable' }).click();
      await page.locator('#endpoint-detail .detail-head .badge', { hasText: 'disabled' }).waitFor();
      await page.locator('#endpoint-detail button', { hasText: 'Enable' }).waitFor();

      expect(overflow).toEqual({ list: 0, detail: 0 });
    });
  });
});
