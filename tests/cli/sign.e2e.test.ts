import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { start, type RunningServer } from '../../src/server';
import { SCHEME_NAMES, type SchemeName } from '../../src/signature/types';
import { secretEnv } from '../helpers/deps';

const run = promisify(execFile);
// Each test spawns npm and ts-node: seconds of start-up on a busy 2-core machine, tens of seconds on a loaded one
// (issue 17). The bound catches a hang; it is not a measure of speed.
jest.setTimeout(90_000);
const ROOT = resolve(__dirname, '../..');
const SECRET = 'whsec_ZTJlLWNsaS1zZWNyZXQtYnl0ZXM=';
// A single quote and non-ASCII text: the printed command must carry both through the shell byte for byte.
const body = JSON.stringify({ id: 'evt_e2e', type: 'user.created', name: "O'Brien Zoë 🚀 日本語" });

/** The environment giving `scheme` the test secret, as the server and the CLI both read it; native keeps its own. */
const schemeEnv = (scheme: SchemeName): Record<string, string> => ({ WEBHOOK_SECRET: 'e2e-native-secret', ...secretEnv(scheme, SECRET) });

/** `npm run -s sign -- ...` as a user runs it, with the scheme's secret variable in its environment. */
function sign(args: string[], scheme: SchemeName = 'native'): Promise<{ stdout: string; stderr: string }> {
  return run('npm', ['run', '-s', 'sign', '--', ...args], { cwd: ROOT, env: { ...process.env, ...schemeEnv(scheme) } });
}

describe('npm run sign, end to end', () => {
  let server: RunningServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(SCHEME_NAMES)('prints a %s curl command that a running server accepts', async (scheme) => {
    server = await start({ PORT: '0', HOST: '127.0.0.1', ...schemeEnv(scheme) }, { logger: pino({ level: 'silent' }) });
    const args = ['--scheme', scheme, '--body', body, '--curl', `${server.url}/webhook/receive`];
    if (scheme !== 'stripe') args.push('--id', 'evt_e2e');

    const { stdout: command } = await sign(args, scheme);
    const { stdout: response } = await run('bash', ['-c', command]);

    expect(JSON.parse(response)).toEqual({ received: true, id: 'evt_e2e', duplicate: false });
    const entry = await server.deps.history.get('evt_e2e');
    expect(entry).toMatchObject({ scheme, payload: JSON.parse(body) });
  });

  it('signs a form body piped on standard input, and the server accepts it as text', async () => {
    server = await start({ PORT: '0', HOST: '127.0.0.1', WEBHOOK_SECRET: SECRET }, { logger: pino({ level: 'silent' }) });
    const script =
      "printf '%s\\n' 'name=O%27Brien&city=Z%C3%BCrich' | npm run -s sign -- --scheme native --id evt_form --file - " +
      `--content-type application/x-www-form-urlencoded --curl ${server.url}/webhook/receive | bash`;

    const { stdout: response } = await run('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, WEBHOOK_SECRET: SECRET } });

    expect(JSON.parse(response)).toEqual({ received: true, id: 'evt_form', duplicate: false });
    expect(await server.deps.history.get('evt_form')).toMatchObject({ payload: 'name=O%27Brien&city=Z%C3%BCrich\n', sizeBytes: 32 });
  });

  it('exits 2 with the usage for an unknown scheme', async () => {
    const failure = await sign(['--scheme', 'paypal', '--body', '{}']).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );

    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('Unknown scheme "paypal"');
  });
});
