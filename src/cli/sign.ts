import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { schemeByName } from '../signature/registry';
import { SCHEME_NAMES, type SchemeName } from '../signature/types';
import { formatCurl, formatHeaders, type CurlBody } from './shell';
import { buildSignedRequest, defaultNewId } from './signed-request';

export const USAGE = `Usage: npm run -s sign -- --scheme native|standard|stripe|github (--body TEXT | --file PATH | --file -) [options]

Prints the headers of a signed webhook request, one per line, or with --curl a ready-to-paste curl command.

Options:
  --scheme NAME   native, standard, stripe or github (required)
  --body TEXT     the request body, signed exactly as given (its UTF-8 bytes)
  --file PATH     read the body from a file instead, bytes as they are; --file - reads standard input
  --content-type TYPE
                  the Content-Type header (default application/json; a JSON type must be valid JSON,
                  any other type any bytes, e.g. application/x-www-form-urlencoded or text/plain)
  --event TYPE    X-Webhook-Event (native, default webhook.test) or X-GitHub-Event (github, default ping);
                  standard and stripe take the type from the body's "type" field
  --id ID         X-Webhook-Id, webhook-id or X-GitHub-Delivery (generated when absent);
                  stripe takes the id from the body's "id" field
  --secret S      the signing secret (default: the first of the scheme's variable, from the environment or
                  .env: WEBHOOK_SECRET, STANDARD_WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET or GITHUB_WEBHOOK_SECRET)
  --curl URL      print a curl command that sends the request to URL
  -h, --help      show this help`;

/** Exit codes: 0 done, 2 a usage error (bad or missing option, no secret, unreadable body). */
export const EXIT_USAGE = 2;

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readFile: (path: string) => Buffer;
  /** Standard input, whole, for `--file -`. */
  readonly readStdin?: () => Buffer;
  /** ms since the epoch. */
  readonly now: () => number;
  readonly newId?: (scheme: SchemeName) => string;
}

class UsageError extends Error {}

/** Whether the server would parse a body of this Content-Type as JSON (as the receive route decides). */
function isJsonType(contentType: string): boolean {
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** UTF-8 text without NUL: what a single-quoted shell word carries byte for byte. */
function isShellSafeText(body: Buffer): boolean {
  return !body.includes(0) && Buffer.from(body.toString('utf8'), 'utf8').equals(body);
}

function isScheme(value: string): value is SchemeName {
  return (SCHEME_NAMES as readonly string[]).includes(value);
}

/** The first secret of a secret list (`WEBHOOK_SECRET`, ...), as the server picks the one it signs with. */
export function firstSecret(value: string | undefined): string | undefined {
  return value?.split(',').map((s) => s.trim()).find((s) => s !== '');
}

/**
 * Runs the command with injected input and output; returns the exit code. Everything the command does
 * apart from reading `--file` happens here, so tests call it directly.
 */
export function runSign(argv: readonly string[], io: CliIo): number {
  try {
    const { values } = (() => {
      try {
        return parseArgs({
          args: [...argv],
          options: {
            scheme: { type: 'string' },
            body: { type: 'string' },
            file: { type: 'string' },
            'content-type': { type: 'string' },
            event: { type: 'string' },
            id: { type: 'string' },
            secret: { type: 'string' },
            curl: { type: 'string' },
            help: { type: 'boolean', short: 'h' },
          },
          strict: true,
          allowPositionals: false,
        });
      } catch (error) {
        throw new UsageError(error instanceof Error ? error.message : String(error));
      }
    })();

    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (values.scheme === undefined) throw new UsageError('--scheme is required.');
    if (!isScheme(values.scheme)) throw new UsageError(`Unknown scheme "${values.scheme}": use one of ${SCHEME_NAMES.join(', ')}.`);
    if ((values.body === undefined) === (values.file === undefined)) throw new UsageError('Give the body with exactly one of --body or --file.');
    if (values.curl !== undefined && !/^https?:\/\//i.test(values.curl)) throw new UsageError(`--curl needs an http(s) URL (got "${values.curl}").`);

    const contentType = values['content-type'] ?? 'application/json';
    if (contentType.trim() === '' || /[\r\n]/.test(contentType)) throw new UsageError('--content-type needs a media type, e.g. text/plain.');

    let body: Buffer;
    let curlBody: CurlBody;
    if (values.file === '-') {
      try {
        body = (io.readStdin ?? (() => Buffer.alloc(0)))();
      } catch (error) {
        throw new UsageError(`Cannot read the body from standard input: ${error instanceof Error ? error.message : String(error)}`);
      }
      // The bytes are gone once read, so the curl command carries them inline: only text survives a shell.
      if (values.curl !== undefined && !isShellSafeText(body)) {
        throw new UsageError('--curl cannot carry a binary body read from standard input: save it to a file and pass --file PATH.');
      }
      curlBody = { inline: body.toString('utf8') };
    } else if (values.file !== undefined) {
      try {
        body = io.readFile(values.file);
      } catch (error) {
        throw new UsageError(`Cannot read --file ${values.file}: ${error instanceof Error ? error.message : String(error)}`);
      }
      curlBody = { file: values.file };
    } else {
      body = Buffer.from(values.body!, 'utf8');
      curlBody = { inline: values.body! };
    }
    if (isJsonType(contentType)) {
      try {
        JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw new UsageError(
          `The body is not valid JSON (${error instanceof Error ? error.message : String(error)}). Check the shell quoting (wrap it in single quotes), or pass --content-type for another type.`,
        );
      }
    }

    // Each scheme signs with its own variable's secret, as the server verifies it (SPEC.md section 1).
    const variable = schemeByName(values.scheme).secretVariable;
    const secret = values.secret ?? firstSecret(io.env[variable]);
    if (secret === undefined || secret === '') {
      throw new UsageError(`No secret to sign with: pass --secret, or set ${variable} in .env or the environment (the same value the server uses).`);
    }

    let request;
    try {
      request = buildSignedRequest(
        { scheme: values.scheme, body, secret, event: values.event, id: values.id, contentType },
        io.now(),
        io.newId ?? defaultNewId,
      );
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
    for (const note of request.notes) io.stderr(`note: ${note}\n`);
    io.stdout(`${values.curl === undefined ? formatHeaders(request) : formatCurl(values.curl, request, curlBody)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`error: ${error.message}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
}

if (require.main === module) {
  // The CLI is an entry point like server.ts: the one other place that reads the environment.
  dotenv.config({ quiet: true });
  process.exitCode = runSign(process.argv.slice(2), {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readFile: (path) => readFileSync(path),
    readStdin: () => readFileSync(0),
    now: () => Date.now(),
  });
}
