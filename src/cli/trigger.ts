import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import { schemeByName } from '../signature/registry';
import { catalogueIndex, sampleEvent, type SampleEvent } from '../trigger/catalogue';
import { firstSecret } from './sign';
import { buildSignedRequest, defaultNewId } from './signed-request';

function usage(): string {
  const lines = Object.entries(catalogueIndex()).map(([provider, events]) => `  ${provider.padEnd(9)} ${events.join(', ')}`);
  return `Usage: npm run -s trigger -- <provider> <event> [--to URL] [--secret S]

Sends a sample event, signed in its provider's scheme with the secret the server verifies it with (the scheme's
variable, from the environment or .env), to URL (default: http://localhost:$PORT/webhook/receive, PORT 3005).

Events:
${lines.join('\n')}`;
}

export interface TriggerIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** ms since the epoch. */
  readonly now: () => number;
  readonly fetch: (url: string, init: { method: string; headers: Record<string, string>; body: Buffer }) => Promise<{ status: number; text: () => Promise<string> }>;
  readonly newId?: typeof defaultNewId;
}

/** Exit codes: 0 the target answered 2xx, 1 it answered otherwise or could not be reached, 2 a usage error. */
export async function runTrigger(argv: readonly string[], io: TriggerIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { to: { type: 'string' }, secret: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n\n${usage()}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${usage()}\n`);
    return 0;
  }
  const [provider, event] = positionals;
  const newId = io.newId ?? defaultNewId;
  const nowMs = io.now();
  const sample: SampleEvent | undefined =
    provider !== undefined && event !== undefined && positionals.length === 2 ? sampleEvent(provider, event, { eventId: newId(provider as never), nowMs }) : undefined;
  if (!sample) {
    io.stderr(`error: ${provider === undefined || event === undefined ? 'give a provider and an event' : `no sample "${event}" for "${provider}"`}.\n\n${usage()}\n`);
    return 2;
  }
  const url = values.to ?? `http://localhost:${io.env.PORT?.trim() || '3005'}/webhook/receive`;
  if (!/^https?:\/\//i.test(url)) {
    io.stderr(`error: --to needs an http(s) URL (got "${url}").\n`);
    return 2;
  }
  const variable = schemeByName(sample.scheme).secretVariable;
  const secret = values.secret ?? firstSecret(io.env[variable]);
  if (!secret) {
    io.stderr(`error: no secret to sign with: set ${variable} in .env or the environment (the value the server uses), or pass --secret.\n`);
    return 2;
  }
  const headerType = sample.scheme === 'native' || sample.scheme === 'github';
  const request = buildSignedRequest(
    { scheme: sample.scheme, body: sample.body, secret, event: headerType ? sample.eventType : undefined, id: sample.scheme === 'stripe' ? undefined : sample.eventId },
    nowMs,
  );
  const headers = Object.fromEntries(request.headers);
  try {
    const response = await io.fetch(url, { method: 'POST', headers, body: request.body });
    const text = await response.text();
    io.stdout(`${provider} ${event} (${sample.eventId}) -> ${url}: ${response.status}\n${text.slice(0, 2000)}\n`);
    return response.status >= 200 && response.status < 300 ? 0 : 1;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    io.stderr(`error: could not reach ${url}: ${cause ?? (error instanceof Error ? error.message : String(error))}. Is the server running (npm start)?\n`);
    return 1;
  }
}

if (require.main === module) {
  // An entry point like server.ts: it reads the environment and .env.
  dotenv.config({ quiet: true });
  void runTrigger(process.argv.slice(2), {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    now: () => Date.now(),
    fetch: async (url, init) => fetch(url, { ...init, body: new Uint8Array(init.body) }),
  }).then((code) => {
    process.exitCode = code;
  });
}
