import fc from 'fast-check';
import request from 'supertest';
import { createApp } from '../../src/app';
import { SCHEMES } from '../../src/signature/registry';
import type { SchemeName } from '../../src/signature/types';
import { makeDeps, TEST_SCHEME_SECRETS } from '../helpers/deps';
import { referenceHeaders } from '../helpers/reference-sign';

/**
 * Property (issue 11): a request carrying the headers of two schemes, each validly signed with its own
 * scheme's secret, or with one scheme's signature value moved into the other's header, is verified by exactly
 * one scheme (the first detected) and only with that scheme's own signature; it is accepted at most once; the
 * answer is a 200 or a JSON 401, never anything else. Bounded by run count, not by time.
 */
const FUZZ_TIMEOUT_MS = 300_000;

const pair = fc
  .tuple(fc.constantFrom<SchemeName>('native', 'standard', 'stripe', 'github'), fc.constantFrom<SchemeName>('native', 'standard', 'stripe', 'github'))
  .filter(([a, b]) => a !== b);
const payload = fc.record({ id: fc.stringMatching(/^evt_[a-z0-9]{1,12}$/), type: fc.constantFrom('a.b', 'user.created'), data: fc.jsonValue({ maxDepth: 2 }) });

describe('fuzzing: the headers of two schemes in one request', () => {
  it('are verified by the detected scheme with its own signature only, and accepted at most once', async () => {
    const deps = makeDeps({ env: { HISTORY_LIMIT: '5000' } });
    const app = createApp(deps);
    let accepted = 0;
    let refused = 0;

    await fc.assert(
      fc.asyncProperty(pair, payload, fc.boolean(), fc.uuid(), async ([a, b], event, transplant, uuid) => {
        const body = JSON.stringify({ ...event, id: `${event.id}_${uuid}` });
        const nowMs = Date.now();
        const sign = (scheme: SchemeName) => referenceHeaders(scheme, body, { secret: TEST_SCHEME_SECRETS[scheme], nowMs, id: `id_${uuid}` });
        const headers = { ...sign(b), ...sign(a) };
        const [aHeader] = SCHEMES.find((s) => s.name === a)!.signatureHeaders;
        const [bHeader] = SCHEMES.find((s) => s.name === b)!.signatureHeaders;
        // Transplant: b's header now carries a's signature value, which is valid for a and nothing else.
        if (transplant) headers[bHeader!] = headers[aHeader!]!;
        const detected = SCHEMES.find((s) => s.signatureHeaders.some((name) => headers[name] !== undefined))!.name;
        const ownValue = !transplant || detected === a;

        const first = await request(app).post('/webhook/receive').set(headers).send(body);
        const again = await request(app).post('/webhook/receive').set(headers).send(body);

        expect(first.headers['content-type']).toMatch(/^application\/json/);
        if (ownValue) {
          expect(first.status).toBe(200);
          expect(first.body.duplicate).toBe(false);
          expect(again.body).toEqual({ received: true, id: first.body.id, duplicate: true });
          expect((await deps.history.get(first.body.id))?.scheme).toBe(detected);
          accepted += 1;
        } else {
          expect(first.status).toBe(401);
          expect(['signature.mismatch', 'timestamp.missing']).toContain(first.body.error.code);
          expect(again.status).toBe(401);
          refused += 1;
        }
      }),
      { numRuns: 300 },
    );

    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, FUZZ_TIMEOUT_MS);
});
