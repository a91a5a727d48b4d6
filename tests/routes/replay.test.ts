import request from 'supertest';
import { createApp } from '../../src/app';
import type { AppDeps } from '../../src/deps';
import { signNative } from '../../src/signature/native';
import { makeDeps, TEST_SECRET } from '../helpers/deps';
import { recordingFetch } from '../helpers/fetch';
import { nativeHeaders } from '../helpers/sign';

/** Deliberately not what JSON.stringify would write: a replay must send these bytes, not a re-serialization. */
const ODD_BODY = '{"b": 1,   "a":[2, 3],"unicode":"\\u00e9"}\n';
const TARGET = 'http://replay-target.test/hooks';

async function receive(deps: AppDeps, body: string, headers: Record<string, string> = {}, id = 'evt_orig'): Promise<void> {
  const res = await request(createApp(deps))
    .post('/webhook/receive')
    .set({ ...nativeHeaders(body, { nowMs: Date.now(), id, event: 'order.paid' }), ...headers })
    .send(body);
  expect(res.status).toBe(200);
}

describe('POST /webhook/history/:id/replay', () => {
  it('sends the exact received bytes to another URL with the same event id and a fresh native signature', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch });
    await receive(deps, ODD_BODY);

    const res = await request(createApp(deps)).post('/webhook/history/evt_orig/replay').send({ url: TARGET });
    await deps.sender.settled(res.body.delivery.id);

    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/webhook/deliveries/${res.body.delivery.id}`);
    expect(res.body.delivery).toMatchObject({ eventId: 'evt_orig', url: TARGET, eventType: 'order.paid', scheme: 'native' });
    expect(requests).toHaveLength(1);
    const sent = requests[0]!;
    expect(sent.url).toBe(TARGET);
    expect(sent.body.equals(Buffer.from(ODD_BODY))).toBe(true);
    expect(sent.headers['x-webhook-id']).toBe('evt_orig');
    expect(sent.headers['x-webhook-event']).toBe('order.paid');
    expect(sent.headers['x-webhook-signature']).toBe(signNative(TEST_SECRET, sent.headers['x-webhook-timestamp']!, ODD_BODY));
  });

  it('keeps the original Content-Type, which describes the bytes, and nothing else by default', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch });
    await receive(deps, 'plain=text&b=2', { 'content-type': 'application/x-www-form-urlencoded', 'x-custom': 'keep-me' });

    const res = await request(createApp(deps)).post('/webhook/history/evt_orig/replay').send({ url: TARGET });
    await deps.sender.settled(res.body.delivery.id);

    expect(requests[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(requests[0]!.headers['x-custom']).toBeUndefined();
    expect(requests[0]!.body.toString()).toBe('plain=text&b=2');
  });

  it('with preserveHeaders, sends the original non-secret headers and a fresh signature in place of the old one', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch });
    const original = nativeHeaders(ODD_BODY, { nowMs: Date.now() - 60_000, id: 'evt_orig', event: 'order.paid' });
    await receive(deps, ODD_BODY, { ...original, 'x-custom': 'keep-me', 'user-agent': 'Acme-Hooks/2.0', authorization: 'Bearer secret-token' });

    const res = await request(createApp(deps)).post('/webhook/history/evt_orig/replay').send({ url: TARGET, preserveHeaders: true });
    await deps.sender.settled(res.body.delivery.id);

    const sent = requests[0]!.headers;
    expect(sent['x-custom']).toBe('keep-me');
    expect(sent['user-agent']).toBe('Acme-Hooks/2.0');
    expect(sent.authorization).toBeUndefined();
    expect(sent['x-webhook-signature']).not.toBe(original['x-webhook-signature']);
    expect(sent['x-webhook-signature']).toBe(signNative(TEST_SECRET, sent['x-webhook-timestamp']!, ODD_BODY));
    expect(sent.host).toBeUndefined();
    expect(sent['x-webhook-event']).toBe('order.paid');
  });

  it('signs in the Standard Webhooks scheme when asked', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch });
    await receive(deps, ODD_BODY);

    const res = await request(createApp(deps)).post('/webhook/history/evt_orig/replay').send({ url: TARGET, scheme: 'standard' });
    await deps.sender.settled(res.body.delivery.id);

    expect(requests[0]!.headers['webhook-id']).toBe('evt_orig');
    expect(requests[0]!.headers['webhook-signature']).toMatch(/^v1,/);
    expect(requests[0]!.body.toString()).toBe(ODD_BODY);
  });

  it('waits for the outcome with ?wait=true', async () => {
    const { fetch } = recordingFetch(200);
    const deps = makeDeps({ fetch });
    await receive(deps, ODD_BODY);

    const res = await request(createApp(deps)).post('/webhook/history/evt_orig/replay?wait=true').send({ url: TARGET });

    expect(res.status).toBe(200);
    expect(res.body.delivery.status).toBe('delivered');
    expect(res.body.delivery.attempts).toHaveLength(1);
  });

  it('answers 404 for an id the history does not hold', async () => {
    const res = await request(createApp(makeDeps())).post('/webhook/history/evt_nope/replay').send({ url: TARGET });

    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('answers 409 for a rejected request, whose body was never verified', async () => {
    const deps = makeDeps();
    const app = createApp(deps);
    await request(app).post('/webhook/receive').set({ 'x-webhook-signature': 'sha256=00', 'x-webhook-timestamp': String(Math.floor(Date.now() / 1000)) }).send('{}');
    const rejected = (await deps.history.list({ limit: 1, status: 'rejected' })).items[0]!;

    const res = await request(app).post(`/webhook/history/${rejected.id}/replay`).send({ url: TARGET });

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('history.not_replayable');
  });

  it('answers 409 when the exact body is no longer kept, rather than sending a re-serialization', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch, env: { RAW_BODY_CACHE_BYTES: '0' } });
    await receive(deps, ODD_BODY);

    const res = await request(createApp(deps)).post('/webhook/history/evt_orig/replay').send({ url: TARGET });

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('history.body_unavailable');
    expect(requests).toHaveLength(0);
  });

  it('forgets the exact bodies when the history is cleared', async () => {
    const deps = makeDeps();
    await receive(deps, ODD_BODY);
    const app = createApp(deps);

    await request(app).delete('/webhook/history').expect(200);

    expect(deps.rawBodies.get('evt_orig')).toBeUndefined();
  });

  it('answers 400 destination.forbidden, before anything is sent, for a destination the rules refuse', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch, env: { SEND_ALLOWED_HOSTS: 'hooks.example.com' } });
    await receive(deps, ODD_BODY);

    const res = await request(createApp(deps)).post('/webhook/history/evt_orig/replay').send({ url: TARGET });

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('destination.forbidden');
    expect(requests).toHaveLength(0);
  });

  it('answers 400 naming the url when it is missing or not http(s)', async () => {
    const deps = makeDeps();
    await receive(deps, ODD_BODY);
    const app = createApp(deps);

    const missing = await request(app).post('/webhook/history/evt_orig/replay').send({});
    const ftp = await request(app).post('/webhook/history/evt_orig/replay').send({ url: 'ftp://example.com/x' });

    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain('url');
    expect(ftp.status).toBe(400);
    expect(ftp.body.error.message).toContain('url');
  });
});
