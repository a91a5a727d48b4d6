import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { Webhook } from 'standardwebhooks';
import type { SchemeName } from '../../src/signature/types';

const stripe = new Stripe('sk_test_interop');

/**
 * GitHub's own verification as Octokit's `verify` does it (`@octokit/webhooks-methods` is ESM-only and not
 * installed): `sha256=` + hex HMAC of the raw body, compared in constant time. Checked against the spec's
 * known-answer vector in tests/debug/forward-dialect.test.ts, so it is an oracle independent of src/.
 */
export function githubVerify(secret: string, body: Buffer | string, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface VerifiedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** What the provider's library returned: Stripe's event, Standard's payload, GitHub's parsed body. */
  readonly event: unknown;
}

/**
 * A local app verifying webhooks with each provider's own library and `secret`, as an integration in
 * production does: 200 with `{"ok": true}` when it verifies, 400 otherwise.
 */
export async function verifyingApp(scheme: SchemeName, secret: string): Promise<{ url: string; verified: VerifiedRequest[]; refused: number; close: () => Promise<void> }> {
  const verified: VerifiedRequest[] = [];
  let refused = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        let event: unknown;
        if (scheme === 'stripe') event = stripe.webhooks.constructEvent(body, String(req.headers['stripe-signature']), secret);
        else if (scheme === 'standard') event = new Webhook(secret).verify(body.toString('utf8'), req.headers as Record<string, string>);
        else if (scheme === 'github') {
          if (!githubVerify(secret, body, String(req.headers['x-hub-signature-256']))) throw new Error('bad github signature');
          event = JSON.parse(body.toString('utf8'));
        } else throw new Error(`no library for ${scheme}`);
        verified.push({ headers: req.headers, body, event });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"from":"the app"}');
      } catch {
        refused += 1;
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"ok":false}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    verified,
    get refused() {
      return refused;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
