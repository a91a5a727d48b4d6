import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { TEST_SCHEME_SECRETS, TEST_SECRET_ENV } from '../helpers/deps';
import { verifyingApp } from '../helpers/verifying-app';

const run = promisify(execFile);
// Spawns npm and ts-node: seconds of start-up on a busy 2-core machine, not a measure of speed.
jest.setTimeout(60_000);
const ROOT = resolve(__dirname, '../..');

describe('npm run trigger, end to end', () => {
  it('sends a Stripe sample that stripe.webhooks.constructEvent verifies, and prints the answer', async () => {
    const app = await verifyingApp('stripe', TEST_SCHEME_SECRETS.stripe);
    try {
      const { stdout } = await run('npm', ['run', '-s', 'trigger', '--', 'stripe', 'charge.refunded', '--to', app.url], { cwd: ROOT, env: { ...process.env, ...TEST_SECRET_ENV } });
      expect(stdout).toMatch(/^stripe charge\.refunded \(evt_[0-9a-f]{32}\) -> http:\/\/127\.0\.0\.1:\d+\/hooks: 200\n\{"ok":true/);
      expect(app.verified).toHaveLength(1);
      expect(app.verified[0]!.event).toMatchObject({ type: 'charge.refunded', object: 'event' });
    } finally {
      await app.close();
    }
  });

  it('exits 2 and lists the catalogue for an unknown event', async () => {
    await expect(run('npm', ['run', '-s', 'trigger', '--', 'github', 'deploy'], { cwd: ROOT, env: { ...process.env, ...TEST_SECRET_ENV } })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('github    push, pull_request, issues, ping'),
    });
  });
});
