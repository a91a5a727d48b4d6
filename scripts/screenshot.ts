// Refreshes docs/screenshot.png: starts the server on a free port, sends it a realistic history (several
// providers, a rejection, a duplicate, a replay), opens one event in Chromium at 1280x800 and saves the page.
// Run: npx ts-node --transpile-only scripts/screenshot.ts (needs /usr/bin/chromium: scripts/install-chromium.sh)
import path from 'node:path';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { start } from '../src/server';
import { receiverAnswering, SEED_SECRETS, seedRealisticHistory } from '../tests/browser/seed';

async function main(): Promise<void> {
  // A clock that moves a few minutes between webhooks, so the list reads like a morning's work; the tolerance
  // is widened to match, since the requests are signed with the real time.
  let nowMs = Date.now() - 50 * 60_000;
  const running = await start(
    { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', SIGNATURE_TOLERANCE_SECONDS: '3600', ...SEED_SECRETS },
    { logger: pino({ level: 'silent' }), overrides: { now: () => nowMs } },
  );
  const receiver = await receiverAnswering(200);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    await seedRealisticHistory(running.url, () => {
      nowMs += 3 * 60_000 + Math.floor(Math.random() * 120_000);
    });
    const replayed = await fetch(`${running.url}/webhook/history/evt_01JF3Q9B7C/replay?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url }),
    });
    if (replayed.status !== 200) throw new Error(`replay answered ${replayed.status}`);
    const out = process.argv[2] ?? path.join(__dirname, '..', 'docs', 'screenshot.png');
    for (const [viewport, file] of [
      [{ width: 1280, height: 800 }, out],
      [{ width: 390, height: 844 }, path.join(__dirname, '..', 'tests', 'artifacts', 'screenshot-phone.png')],
    ] as const) {
      const page = await browser.newPage({ viewport });
      await page.goto(`${running.url}/#/event/evt_01JF3Q9B7C`);
      await page.locator('#live[data-state="live"]').waitFor();
      await page.locator('#detail ul.deliveries-of .badge.ok').waitFor();
      await page.locator('#rows tr[data-id="evt_01JF3Q9B7C"]').waitFor({ state: 'attached' });
      await page.screenshot({ path: file });
      await page.close();
      console.log(`saved ${file}`);
    }
  } finally {
    await browser.close();
    await receiver.close();
    await running.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
