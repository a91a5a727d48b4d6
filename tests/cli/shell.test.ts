import { execFileSync } from 'node:child_process';
import { formatCurl, formatHeaders, shellQuote } from '../../src/cli/shell';

/** What bash makes of a quoted word: the test runs the real shell rather than trusting our reading of it. */
function throughBash(word: string): string {
  return execFileSync('bash', ['-c', `printf '%s' ${word}`], { encoding: 'utf8' });
}

describe('shellQuote', () => {
  it.each([
    ['plain JSON', '{"a":1}'],
    ['single quotes', `{"name":"O'Brien's"}`],
    ['shell syntax that must stay inert', '$(rm -rf /) `id` $HOME "\\n" ! * ;|&'],
    ['emoji and non-ASCII text', '{"name":"Zoë 🚀 日本語"}'],
    ['a newline', '{\n  "a": 1\n}\n'],
  ])('survives bash unchanged for %s', (_case, value) => {
    expect(throughBash(shellQuote(value))).toBe(value);
  });
});

describe('formatHeaders', () => {
  it('prints one `Name: value` line per header', () => {
    expect(formatHeaders({ headers: [['A', '1'], ['B', 'two']] })).toBe('A: 1\nB: two');
  });
});

describe('formatCurl', () => {
  it('sends an inline body with --data-raw, so a body starting with @ is never read as a file', () => {
    const command = formatCurl('http://localhost:3005/webhook/receive', { headers: [['X-A', "it's"]] }, { inline: '@/etc/passwd' });

    expect(command).toBe(
      "curl -sS -X POST 'http://localhost:3005/webhook/receive' \\\n  -H 'X-A: it'\\''s' \\\n  --data-raw '@/etc/passwd'",
    );
  });

  it('sends a file body with --data-binary, which keeps its bytes and newlines', () => {
    expect(formatCurl('http://h/x', { headers: [] }, { file: 'event.json' })).toContain("--data-binary @'event.json'");
  });
});
