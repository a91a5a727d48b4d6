import { EXIT_USAGE, firstSecret, runSign, type CliIo } from '../../src/cli/sign';
import { verifyWebhook } from '../../src/signature/verify';

const NOW_MS = Date.UTC(2026, 10, 29, 12, 0, 0);

function run(argv: string[], overrides: Partial<CliIo> = {}): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = runSign(argv, {
    env: { WEBHOOK_SECRET: 'first, second', STANDARD_WEBHOOK_SECRET: 'standard-first, standard-second', STRIPE_WEBHOOK_SECRET: 'stripe-first' },
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    readFile: () => {
      throw new Error('ENOENT: no such file');
    },
    readStdin: () => Buffer.from([0x00, 0x01]),
    now: () => NOW_MS,
    newId: () => 'evt_fixed',
    ...overrides,
  });
  return { code, stdout, stderr };
}

/** The printed `Name: value` lines as the server would receive them. */
function parseHeaderLines(text: string): Record<string, string> {
  return Object.fromEntries(
    text.trim().split('\n').map((line) => {
      const colon = line.indexOf(': ');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 2)];
    }),
  );
}

describe('npm run sign', () => {
  it("prints headers, one per line, that verify with the first secret of the scheme's variable (STANDARD_WEBHOOK_SECRET)", () => {
    const body = '{"type":"user.created"}';

    const { code, stdout } = run(['--scheme', 'standard', '--body', body]);

    expect(code).toBe(0);
    const headers = parseHeaderLines(stdout);
    expect(headers['webhook-id']).toBe('evt_fixed');
    const { result } = verifyWebhook(headers, Buffer.from(body), { secretsFor: () => ['standard-first'], nowSeconds: NOW_MS / 1000, toleranceSeconds: 300 });
    expect(result.ok).toBe(true);
  });

  it('signs with --secret when it is given', () => {
    const { stdout } = run(['--scheme', 'github', '--body', '{}', '--secret', 'explicit']);

    const { result } = verifyWebhook(parseHeaderLines(stdout), Buffer.from('{}'), { secretsFor: () => ['explicit'], nowSeconds: 0, toleranceSeconds: 300 });
    expect(result.ok).toBe(true);
  });

  it('reads the body from --file', () => {
    const file = Buffer.from('{"id":"evt_file","type":"invoice.paid"}\n');

    const { code, stdout } = run(['--scheme', 'stripe', '--file', 'event.json'], { readFile: () => file });

    expect(code).toBe(0);
    const { result } = verifyWebhook(parseHeaderLines(stdout), file, { secretsFor: () => ['stripe-first'], nowSeconds: NOW_MS / 1000, toleranceSeconds: 300 });
    expect(result.ok).toBe(true);
  });

  it('prints a curl command with --curl', () => {
    const { code, stdout } = run(['--scheme', 'native', '--body', '{"a":1}', '--event', 'order.paid', '--curl', 'http://localhost:3005/webhook/receive']);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^curl -sS -X POST 'http:\/\/localhost:3005\/webhook\/receive' \\\n/);
    expect(stdout).toContain("-H 'X-Webhook-Event: order.paid'");
    expect(stdout).toContain(`--data-raw '{"a":1}'`);
  });

  it('signs a body of any content type with --content-type, byte for byte', () => {
    const body = 'a=1&b=caf%C3%A9';

    const { code, stdout } = run(['--scheme', 'native', '--body', body, '--content-type', 'application/x-www-form-urlencoded']);

    expect(code).toBe(0);
    const headers = parseHeaderLines(stdout);
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    const { result } = verifyWebhook(headers, Buffer.from(body), { secretsFor: () => ['first'], nowSeconds: NOW_MS / 1000, toleranceSeconds: 300 });
    expect(result.ok).toBe(true);
  });

  it('reads the body from standard input with --file -, bytes as they are (a trailing newline included)', () => {
    const stdin = Buffer.from([0x00, 0xff, 0x0a, 0x7b, 0x0a]); // not UTF-8, not JSON

    const { code, stdout } = run(['--scheme', 'native', '--file', '-', '--content-type', 'application/octet-stream'], { readStdin: () => stdin });

    expect(code).toBe(0);
    const { result } = verifyWebhook(parseHeaderLines(stdout), stdin, { secretsFor: () => ['first'], nowSeconds: NOW_MS / 1000, toleranceSeconds: 300 });
    expect(result.ok).toBe(true);
  });

  it('puts a text body from standard input inline in the curl command', () => {
    const { code, stdout } = run(['--scheme', 'native', '--file', '-', '--content-type', 'text/plain', '--curl', 'http://localhost:3005/webhook/receive'], {
      readStdin: () => Buffer.from("it's\nfine\n"),
    });

    expect(code).toBe(0);
    expect(stdout).toContain(`--data-raw 'it'\\''s\nfine\n'`);
    expect(stdout).toContain("-H 'Content-Type: text/plain'");
  });

  it('still checks that a JSON content type carries JSON', () => {
    const { code, stderr } = run(['--scheme', 'native', '--body', 'a=1', '--content-type', 'application/vnd.api+json']);

    expect(code).toBe(EXIT_USAGE);
    expect(stderr).toContain('not valid JSON');
    expect(stderr).toContain('--content-type');
  });

  it('prints the usage on --help and exits 0', () => {
    const { code, stdout } = run(['--help']);

    expect(code).toBe(0);
    expect(stdout).toContain('Usage: npm run -s sign');
  });

  it.each([
    ['an unknown scheme', ['--scheme', 'paypal', '--body', '{}'], 'Unknown scheme "paypal"'],
    ['a missing scheme', ['--body', '{}'], '--scheme is required'],
    ['a missing body', ['--scheme', 'native'], 'exactly one of --body or --file'],
    ['both --body and --file', ['--scheme', 'native', '--body', '{}', '--file', 'x.json'], 'exactly one of --body or --file'],
    ['a body that is not JSON', ['--scheme', 'native', '--body', "{a:1}"], 'not valid JSON'],
    ['an unknown option', ['--scheme', 'native', '--body', '{}', '--verbose'], "Unknown option '--verbose'"],
    ['an unreadable file', ['--scheme', 'native', '--file', 'missing.json'], 'Cannot read --file missing.json'],
    ['--event with stripe', ['--scheme', 'stripe', '--body', '{}', '--event', 'x'], '--event does not apply to stripe'],
    ['a --curl target that is not a URL', ['--scheme', 'native', '--body', '{}', '--curl', 'localhost:3005'], 'http(s) URL'],
    ['a binary body from standard input with --curl', ['--scheme', 'native', '--file', '-', '--content-type', 'x/y', '--curl', 'http://h/'], 'save it to a file'],
    ['an empty --content-type', ['--scheme', 'native', '--body', '{}', '--content-type', ' '], '--content-type needs a media type'],
    ['a malformed whsec_ secret with standard', ['--scheme', 'standard', '--body', '{}', '--secret', 'whsec_'], 'whsec_'],
  ])('exits 2 with the usage for %s', (_case, argv, message) => {
    const { code, stdout, stderr } = run(argv);

    expect(code).toBe(EXIT_USAGE);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).toContain('Usage:');
  });

  it('exits 2 with a clear message when no secret is configured', () => {
    const { code, stderr } = run(['--scheme', 'native', '--body', '{}'], { env: {} });

    expect(code).toBe(EXIT_USAGE);
    expect(stderr).toContain('No secret to sign with: pass --secret, or set WEBHOOK_SECRET');
  });
});

describe('firstSecret', () => {
  it('takes the first non-empty secret of a comma-separated list, trimmed', () => {
    expect(firstSecret(' , new ,old')).toBe('new');
    expect(firstSecret('')).toBeUndefined();
    expect(firstSecret(undefined)).toBeUndefined();
  });
});
