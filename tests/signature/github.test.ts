import { createHash } from 'node:crypto';
import { githubScheme, signGithub } from '../../src/signature/github';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

// SPEC.md section 1, from GitHub's "Validating webhook deliveries".
const VECTOR = {
  secret: "It's a Secret to Everybody",
  body: 'Hello, World!',
  signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
};

const options = { secrets: [VECTOR.secret], nowSeconds: 0, toleranceSeconds: 300 };
const body = Buffer.from(VECTOR.body);
const header = (value: string): Record<string, string> => ({ 'x-hub-signature-256': value });

describe('signGithub', () => {
  it('produces the known-answer signature from the GitHub documentation', () => {
    expect(signGithub(VECTOR.secret, VECTOR.body)).toBe(VECTOR.signature);
    expect(signGithub(VECTOR.secret, body)).toBe(VECTOR.signature);
  });

  it.each([
    ['an empty secret', () => signGithub('', body)],
    ['a secret that is not a string', () => signGithub(undefined as unknown as string, body)],
    ['a parsed object as the body', () => signGithub(VECTOR.secret, { hello: 'world' } as unknown as string)],
  ])('throws TypeError for %s', (_case, misuse) => {
    expect(misuse).toThrow(TypeError);
  });
});

describe('githubScheme.verify', () => {
  it('accepts the known-answer signature, with no timestamp at all', () => {
    expect(githubScheme.verify(header(VECTOR.signature), body, options)).toEqual({ ok: true, signedContent: sha256(VECTOR.body) });
  });

  it('accepts upper-case hex and stores one replay key for both spellings', () => {
    const result = githubScheme.verify(header(`sha256=${VECTOR.signature.slice(7).toUpperCase()}`), body, options);
    expect(result).toEqual({ ok: true, signedContent: sha256(VECTOR.body) });
  });

  it('rejects a tampered body', () => {
    expect(githubScheme.verify(header(VECTOR.signature), Buffer.from('Hello, World?'), options)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('rejects a signature made with another secret', () => {
    expect(githubScheme.verify(header(signGithub('wrong', body)), body, options)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('rejects a bare hex digest without the sha256= prefix', () => {
    expect(githubScheme.verify(header(VECTOR.signature.slice(7)), body, options)).toMatchObject({ ok: false, code: 'signature.mismatch' });
  });

  it('verifies with the second of two secrets', () => {
    expect(githubScheme.verify(header(VECTOR.signature), body, { ...options, secrets: ['new', VECTOR.secret] }).ok).toBe(true);
  });
});

describe('githubScheme.identify', () => {
  it('takes the event id from X-GitHub-Delivery and the type from X-GitHub-Event', () => {
    const headers = { ...header(VECTOR.signature), 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-github-event': 'push' };
    expect(githubScheme.identify(headers, { type: 'ignored' })).toEqual({ eventId: '72d3162e-cc78-11e3-81ab-4c9367dc0958', eventType: 'push' });
  });
});
