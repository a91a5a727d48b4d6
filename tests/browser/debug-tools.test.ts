import { existsSync } from 'node:fs';
import pino from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { start, type RunningServer } from '../../src/server';
import { TEST_SECRET_ENV } from '../helpers/deps';

const CHROMIUM = '/usr/bin/chromium';
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;

jest.setTimeout(90_000);

describeWithChromium('the debugging tools on the page', () => {
  let running: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    running = await start({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', SEND_BASE_DELAY_MS: '20', SEND_MAX_DELAY_MS: '40', ...TEST_SECRET_ENV }, { logger: pino({ level: 'silent' }) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
  });

  it('adds a mock rule, sends a Stripe test event that it answers once with 503, and shows which rule answered', async () => {
    const page = await browser.newPage();
    await page.goto(`${running.url}/`);
    await page.locator('#live[data-state="live"]').waitFor();
    await page.locator('#tools summary').click();

    const rules = page.locator('#response-rules');
    await rules.locator('input[name="status"]').fill('503');
    await rules.locator('input[name="remaining"]').fill('1');
    await rules.getByRole('button', { name: 'Add rule' }).click();
    await rules.locator('li[data-id]').waitFor();

    const form = page.locator('#test-event');
    await form.locator('select[name="provider"]').selectOption('stripe');
    await form.locator('select[name="event"]').selectOption('payment_intent.succeeded');
    await form.getByRole('button', { name: 'Send test event' }).click();
    // The sender retried after the 503: its final answer is the usual 200, and the one-time rule is gone.
    await form.locator('.result', { hasText: 'answered 200' }).waitFor();
    await rules.locator('li.muted', { hasText: 'No rule' }).waitFor();

    await page.locator('#rows tr', { hasText: 'payment_intent.succeeded' }).first().click();
    await page.locator('#detail dl.facts', { hasText: 'Answered by' }).waitFor();
    await page.locator('#detail [data-curl="fresh"]').click();
    await page.locator('#detail pre.curl', { hasText: 'stripe-signature: t=' }).waitFor();
    await page.close();
  });
});
