import type { SignedRequest } from './signed-request';

/**
 * Quotes a string for a POSIX shell: inside single quotes nothing is special except the single quote
 * itself, which is closed, escaped and reopened (`'` becomes `'\''`). Safe for any text without NUL bytes.
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `Name: value`, one header per line. */
export function formatHeaders(request: Pick<SignedRequest, 'headers'>): string {
  return request.headers.map(([name, value]) => `${name}: ${value}`).join('\n');
}

/** Where the curl command takes the body from: the text itself, or the file it was read from. */
export type CurlBody = { readonly inline: string } | { readonly file: string };

/**
 * A ready-to-paste curl command. `--data-raw` sends an inline body byte for byte (unlike `-d`, it never
 * reads a file when the body starts with `@`); `--data-binary @file` sends a file's bytes unchanged
 * (unlike `-d @file`, it keeps newlines).
 */
export function formatCurl(url: string, request: Pick<SignedRequest, 'headers'>, body: CurlBody): string {
  const lines = [`curl -sS -X POST ${shellQuote(url)}`];
  for (const [name, value] of request.headers) lines.push(`  -H ${shellQuote(`${name}: ${value}`)}`);
  lines.push('inline' in body ? `  --data-raw ${shellQuote(body.inline)}` : `  --data-binary @${shellQuote(body.file)}`);
  return lines.join(' \\\n');
}
