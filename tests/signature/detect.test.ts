import { detectScheme, SIGNATURE_HEADERS } from '../../src/signature/detect';
import { verifyWebhook } from '../../src/signature/verify';

describe('detectScheme', () => {
  it.each([
    [{ 'x-webhook-signature': 'sha256=00' }, 'native'],
    [{ 'webhook-signature': 'v1,AA==' }, 'standard'],
    [{ 'svix-signature': 'v1,AA==' }, 'standard'],
    [{ 'stripe-signature': 't=1,v1=00' }, 'stripe'],
    [{ 'x-hub-signature-256': 'sha256=00' }, 'github'],
  ])('picks the scheme from its signature header %j', (headers, scheme) => {
    expect(detectScheme(headers)?.name).toBe(scheme);
  });

  it('finds no scheme when no signature header is present', () => {
    expect(detectScheme({ 'content-type': 'application/json', 'x-github-event': 'push', 'webhook-id': 'msg_1' })).toBeUndefined();
  });

  it('ignores a signature header that is present but empty', () => {
    expect(detectScheme({ 'stripe-signature': '  ' })).toBeUndefined();
  });

  it("does not take GitHub's legacy sha1 header for a signature it can verify", () => {
    expect(detectScheme({ 'x-hub-signature': 'sha1=00' })).toBeUndefined();
  });
});

describe('verifyWebhook', () => {
  it('answers signature.missing naming every header it looked for', () => {
    const { result } = verifyWebhook({}, Buffer.from('{}'), { secretsFor: () => ['s'], nowSeconds: 0, toleranceSeconds: 300 });
    expect(result).toMatchObject({ ok: false, code: 'signature.missing' });
    for (const name of ['x-webhook-signature', 'webhook-signature', 'svix-signature', 'stripe-signature', 'x-hub-signature-256']) {
      expect(SIGNATURE_HEADERS).toContain(name);
      expect(!result.ok && result.message).toContain(name);
    }
  });
});
