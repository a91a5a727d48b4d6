import request from 'supertest';
import { createApp } from '../../src/app';
import { isSecretHeader, REDACTED } from '../../src/history/redact';
import { SIGNATURE_HEADERS } from '../../src/signature/registry';
import { makeDeps, memoryLogger } from '../helpers/deps';
import { recordingFetch } from '../helpers/fetch';
import { historyEntry } from '../helpers/history';
import { nativeHeaders } from '../helpers/sign';

/** One header per pattern of issue 11 (and the known names), each with a value that must never be kept. */
const CREDENTIALS: Record<string, string> = {
  'x-gitlab-token': 'glpat-value-1',
  'x-my-app-token': 'value-token-2',
  'x-client-secret': 'value-secret-3',
  'x-custom-signature': 'value-signature-4',
  'x-password': 'value-password-5',
  'x-db-passwd': 'value-passwd-6',
  'x-auth-user': 'value-auth-7',
  authorization: 'Bearer value-authorization-8',
  'proxy-authorization': 'Basic value-proxy-9',
  cookie: 'sid=value-cookie-10',
  'x-session-id': 'value-session-11',
  'x-api-key': 'value-api-key-12',
  'x-vendor-apikey': 'value-apikey-13',
  api_key: 'value-api_key-14',
  'x-shopify-hmac-sha256': 'value-hmac-15',
  'x-hub-signature': 'sha1=value-legacy-16',
};
const SAFE = { 'x-request-id': 'req-1', 'user-agent': 'Acme/1.0', 'x-github-event': 'push' };

describe('header redaction', () => {
  it.each(Object.keys(CREDENTIALS))('treats %s as a credential', (name) => {
    expect(isSecretHeader(name)).toBe(true);
    expect(isSecretHeader(name.toUpperCase())).toBe(true);
  });

  it.each(SIGNATURE_HEADERS)('treats the registry signature header %s as a credential', (name) => {
    expect(isSecretHeader(name)).toBe(true);
  });

  it.each([...Object.keys(SAFE), 'content-type', 'x-webhook-timestamp', 'webhook-id', 'x-github-delivery'])('keeps %s readable', (name) => {
    expect(isSecretHeader(name)).toBe(false);
  });

  it.each(['accepted', 'rejected'] as const)('redacts every credential of a %s request in the history and the logs', async (outcome) => {
    const { logger, lines } = memoryLogger();
    const deps = makeDeps({ logger });
    const app = createApp(deps);
    const body = '{"n":1}';
    const signed = nativeHeaders(body, { nowMs: Date.now(), id: 'evt_redact', secret: outcome === 'accepted' ? undefined : 'wrong-secret' });

    const res = await request(app).post('/webhook/receive').set({ ...signed, ...CREDENTIALS, ...SAFE }).send(body);

    expect(res.status).toBe(outcome === 'accepted' ? 200 : 401);
    const [entry] = (await request(app).get(`/webhook/history?status=${outcome}`)).body.items;
    for (const name of Object.keys(CREDENTIALS)) expect(entry.headers[name]).toBe(REDACTED);
    expect(entry.headers['x-webhook-signature']).toBe(REDACTED);
    expect(entry.headers).toMatchObject(SAFE);
    const stored = JSON.stringify(entry) + lines().join('\n');
    for (const value of Object.values(CREDENTIALS)) expect(stored).not.toContain(value);
  });

  it.each(['received now', 'stored in clear by an earlier version'])('never forwards a credential in a replay with preserveHeaders: an entry %s', async (origin) => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch });
    const app = createApp(deps);
    const body = '{"n":1}';
    if (origin === 'received now') {
      await request(app).post('/webhook/receive').set({ ...nativeHeaders(body, { nowMs: Date.now(), id: 'evt_replay' }), ...CREDENTIALS, ...SAFE }).send(body).expect(200);
    } else {
      await deps.history.add(historyEntry({ id: 'evt_replay', headers: { 'content-type': 'application/json', ...CREDENTIALS, ...SAFE } }));
      deps.rawBodies.set('evt_replay', Buffer.from(body));
      expect((await deps.history.get('evt_replay'))?.headers['x-gitlab-token']).toBe(CREDENTIALS['x-gitlab-token']);
    }

    const res = await request(app).post('/webhook/history/evt_replay/replay').send({ url: 'http://replay-target.test/', preserveHeaders: true });
    await deps.sender.settled(res.body.delivery.id);

    const sent = requests[0]!.headers;
    for (const name of Object.keys(CREDENTIALS)) expect(sent[name]).toBeUndefined();
    expect(sent).toMatchObject({ 'x-request-id': 'req-1', 'user-agent': 'Acme/1.0', 'x-github-event': 'push' });
    for (const value of Object.values(CREDENTIALS)) expect(JSON.stringify(sent)).not.toContain(value);
  });
});
