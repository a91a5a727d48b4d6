import request from 'supertest';
import { createApp } from '../../src/app';
import type { DeliveryRecord } from '../../src/sender/delivery-store';
import type { FetchLike } from '../../src/sender/sender';
import { fakeClock, makeDeps } from '../helpers/deps';
import { deferred, recordingSleep, reply, scriptedFetch, type FetchStep } from '../helpers/send-fakes';

const target = 'https://receiver.example/hooks';
const valid = { url: target, eventType: 'user.created', payload: { userId: '123', email: 'user@example.com' } };

/** A fresh app whose sender talks to a scripted fetch and sleeps on a fake clock. */
function setup(steps: FetchStep[] = [], options: { fetch?: FetchLike; env?: Record<string, string> } = {}) {
  const clock = fakeClock();
  const scripted = scriptedFetch(steps);
  const recording = recordingSleep(clock.advance);
  let ids = 0;
  const deps = makeDeps({
    env: options.env,
    fetch: options.fetch ?? scripted.fetch,
    sleep: recording.sleep,
    now: clock.now,
    random: () => 0.5,
    newId: (prefix) => `${prefix}_${String((ids += 1)).padStart(4, '0')}`,
  });
  return { app: createApp(deps), deps, clock, calls: scripted.calls, push: scripted.push, delays: recording.delays };
}

describe('POST /webhook/send', () => {
  it('answers 202 with the pending delivery and where to find it', async () => {
    const { app, deps } = setup([reply(200)]);
    const res = await request(app).post('/webhook/send').send(valid);
    expect(res.status).toBe(202);
    const delivery = res.body.delivery as DeliveryRecord;
    expect(delivery).toMatchObject({ url: target, eventType: 'user.created', scheme: 'native', status: 'pending', attempts: [] });
    expect(delivery.id).toMatch(/^dlv_/);
    expect(delivery.eventId).toMatch(/^evt_/);
    expect(res.headers.location).toBe(`/webhook/deliveries/${delivery.id}`);
    await deps.sender.settled(delivery.id);
  });

  it('sends the payload as JSON to the url, in the background', async () => {
    const { app, deps, calls } = setup([reply(200)]);
    const res = await request(app).post('/webhook/send').send(valid);
    const done = await deps.sender.settled(res.body.delivery.id);
    expect(done.status).toBe('delivered');
    expect(calls.map((c) => c.url)).toEqual([target]);
    expect(JSON.parse(calls[0]!.body.toString())).toEqual(valid.payload);
  });

  it('with ?wait=true answers 200 and the delivered record', async () => {
    const { app, delays } = setup([reply(500), reply(200)]);
    const res = await request(app).post('/webhook/send?wait=true').send(valid);
    expect(res.status).toBe(200);
    expect(res.body.delivery.status).toBe('delivered');
    expect(res.body.delivery.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 200]);
    expect(res.headers.location).toBe(`/webhook/deliveries/${res.body.delivery.id}`);
    expect(delays).toEqual([1000]);
  });

  it('with ?wait=true answers 502 and the failed record when every attempt fails', async () => {
    const { app, calls } = setup([reply(503), reply(503)]);
    const res = await request(app).post('/webhook/send?wait=true').send({ ...valid, maxAttempts: 2 });
    expect(res.status).toBe(502);
    expect(res.body.delivery.status).toBe('failed');
    expect(res.body.delivery.attempts).toHaveLength(2);
    expect(res.body.delivery.error).toBe('gave up after 2 attempts (last status 503)');
    expect(calls).toHaveLength(2);
  });

  it('uses the standard scheme when asked', async () => {
    const { app, calls } = setup([reply(200)]);
    const res = await request(app).post('/webhook/send?wait=true').send({ ...valid, scheme: 'standard' });
    expect(res.body.delivery.scheme).toBe('standard');
    expect(calls[0]!.headers.get('webhook-id')).toBe(res.body.delivery.eventId);
    expect(JSON.parse(calls[0]!.body.toString())).toMatchObject({ type: 'user.created', data: valid.payload });
  });

  it('applies timeoutMs and maxAttempts from the request to the record', async () => {
    const { app, deps } = setup([reply(200)]);
    const res = await request(app).post('/webhook/send').send({ ...valid, maxAttempts: 3, timeoutMs: 2500 });
    expect(res.body.delivery).toMatchObject({ maxAttempts: 3, timeoutMs: 2500 });
    await deps.sender.settled(res.body.delivery.id);
  });

  it('never puts the secret of the request in the record', async () => {
    const { app } = setup([reply(200)]);
    const res = await request(app).post('/webhook/send?wait=true').send({ ...valid, secret: 'do-not-echo-me' });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain('do-not-echo-me');
  });

  describe('refuses a bad request with 400 request.invalid naming the field', () => {
    const { url: _url, ...withoutUrl } = valid;
    const { eventType: _eventType, ...withoutEventType } = valid;
    const { payload: _payload, ...withoutPayload } = valid;
    it.each<[string, unknown, string]>([
      ['a missing url', withoutUrl, 'url'],
      ['an ftp url', { ...valid, url: 'ftp://receiver.example/hooks' }, 'url'],
      ['a relative url', { ...valid, url: '/webhook/receive' }, 'url'],
      ['a missing eventType', withoutEventType, 'eventType'],
      ['an empty eventType', { ...valid, eventType: '' }, 'eventType'],
      ['a blank eventType', { ...valid, eventType: '   ' }, 'eventType'],
      ['an eventType that is not a string', { ...valid, eventType: 42 }, 'eventType'],
      ['a missing payload', withoutPayload, 'payload'],
      ['maxAttempts 0', { ...valid, maxAttempts: 0 }, 'maxAttempts'],
      ['maxAttempts 101', { ...valid, maxAttempts: 101 }, 'maxAttempts'],
      ['maxAttempts 2.5', { ...valid, maxAttempts: 2.5 }, 'maxAttempts'],
      ['timeoutMs 0', { ...valid, timeoutMs: 0 }, 'timeoutMs'],
      ['an unknown scheme', { ...valid, scheme: 'slack' }, 'scheme'],
      ['a body that is an array', [valid], '(body)'],
    ])('with %s', async (_name, body, field) => {
      const { app, calls } = setup();
      const res = await request(app).post('/webhook/send').send(body as object);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('request.invalid');
      expect(res.body.error.message).toMatch(new RegExp(`(^|; )${field.replace(/[()]/g, '\\$&')}: `));
      expect(calls).toHaveLength(0);
    });

    it('with every bad field named at once', async () => {
      const { app } = setup();
      const res = await request(app).post('/webhook/send').send({ url: 'ftp://x', eventType: '' });
      expect(res.status).toBe(400);
      const fields = (res.body.error.message as string).split('; ').map((part) => part.split(':')[0]);
      expect(fields.sort()).toEqual(['eventType', 'payload', 'url']);
    });

    it('accepts a payload of null: it is JSON', async () => {
      const { app, deps } = setup([reply(200)]);
      const res = await request(app).post('/webhook/send').send({ ...valid, payload: null });
      expect(res.status).toBe(202);
      await deps.sender.settled(res.body.delivery.id);
    });
  });

  it('refuses a body that is not JSON with 400 body.invalid_json', async () => {
    const { app, calls } = setup();
    const res = await request(app).post('/webhook/send').set('Content-Type', 'application/json').send('{"url": "http://x", ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('body.invalid_json');
    expect(calls).toHaveLength(0);
  });

  it('refuses a body that is not declared JSON with 400 request.invalid', async () => {
    const { app } = setup();
    const res = await request(app).post('/webhook/send').set('Content-Type', 'text/plain').send(JSON.stringify(valid));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('request.invalid');
  });
});

describe('GET /webhook/deliveries', () => {
  /** Three deliveries a second apart: the first and third delivered, the second failed. */
  async function threeDeliveries() {
    const ctx = setup([reply(200), reply(400), reply(200)]);
    const ids: string[] = [];
    for (const eventType of ['first', 'second', 'third']) {
      const res = await request(ctx.app).post('/webhook/send?wait=true').send({ ...valid, eventType });
      ids.push(res.body.delivery.id as string);
      ctx.clock.advance(1000);
    }
    return { ...ctx, ids };
  }

  it('lists deliveries newest first', async () => {
    const { app, ids } = await threeDeliveries();
    const res = await request(app).get('/webhook/deliveries');
    expect(res.status).toBe(200);
    expect(res.body.items.map((d: DeliveryRecord) => d.id)).toEqual([...ids].reverse());
    expect(res.body.items.map((d: DeliveryRecord) => d.eventType)).toEqual(['third', 'second', 'first']);
    expect(res.body.nextCursor).toBeNull();
  });

  it('filters by ?status', async () => {
    const { app, ids } = await threeDeliveries();
    const failed = await request(app).get('/webhook/deliveries?status=failed');
    expect(failed.body.items.map((d: DeliveryRecord) => d.id)).toEqual([ids[1]]);
    const delivered = await request(app).get('/webhook/deliveries?status=delivered');
    expect(delivered.body.items.map((d: DeliveryRecord) => d.id)).toEqual([ids[2], ids[0]]);
  });

  it('pages with ?limit and the cursor it hands out', async () => {
    const { app, ids } = await threeDeliveries();
    const first = await request(app).get('/webhook/deliveries?limit=2');
    expect(first.body.items.map((d: DeliveryRecord) => d.id)).toEqual([ids[2], ids[1]]);
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await request(app).get(`/webhook/deliveries?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.items.map((d: DeliveryRecord) => d.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('refuses a bad ?status, ?limit or cursor with 400', async () => {
    const { app } = setup();
    for (const query of ['status=lost', 'limit=0', 'limit=501', 'cursor=not-a-cursor']) {
      const res = await request(app).get(`/webhook/deliveries?${query}`);
      expect([query, res.status, res.body.error.code]).toEqual([query, 400, 'request.invalid']);
    }
  });
});

describe('GET /webhook/deliveries/:id', () => {
  it('answers the record', async () => {
    const { app } = setup([reply(200, 'thanks')]);
    const sent = await request(app).post('/webhook/send?wait=true').send(valid);
    const res = await request(app).get(`/webhook/deliveries/${sent.body.delivery.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: sent.body.delivery.id,
      eventId: sent.body.delivery.eventId,
      url: target,
      eventType: 'user.created',
      scheme: 'native',
      status: 'delivered',
      nextAttemptAt: null,
      attempts: [{ number: 1, statusCode: 200, responseBody: 'thanks' }],
    });
    expect(typeof res.body.createdAt).toBe('string');
  });

  it('answers 404 for an unknown id', async () => {
    const { app } = setup();
    const res = await request(app).get('/webhook/deliveries/dlv_nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('POST /webhook/deliveries/:id/retry', () => {
  it('answers 202 and starts a new series for a delivery that ended', async () => {
    const { app, deps, push, calls } = setup([reply(410)]);
    const sent = await request(app).post('/webhook/send?wait=true').send(valid);
    expect(sent.status).toBe(502);
    push(reply(200));

    const res = await request(app).post(`/webhook/deliveries/${sent.body.delivery.id}/retry`);
    expect(res.status).toBe(202);
    expect(res.body.delivery).toMatchObject({ id: sent.body.delivery.id, status: 'pending', error: null });
    expect(res.headers.location).toBe(`/webhook/deliveries/${sent.body.delivery.id}`);

    const done = await deps.sender.settled(sent.body.delivery.id);
    expect(done.status).toBe('delivered');
    expect(done.attempts.map((a) => a.series)).toEqual([1, 2]);
    expect(calls.map((c) => c.headers.get('x-webhook-id'))).toEqual([done.eventId, done.eventId]);
  });

  it('with ?wait=true answers with the outcome of the new series', async () => {
    const { app, push } = setup([reply(410)]);
    const sent = await request(app).post('/webhook/send?wait=true').send(valid);
    push(reply(200));
    const res = await request(app).post(`/webhook/deliveries/${sent.body.delivery.id}/retry?wait=true`);
    expect(res.status).toBe(200);
    expect(res.body.delivery.status).toBe('delivered');
  });

  it('answers 409 while the delivery is still pending', async () => {
    const answer = deferred<Response>();
    const { app, deps } = setup([() => answer.promise]);
    const sent = await request(app).post('/webhook/send').send(valid);
    try {
      const res = await request(app).post(`/webhook/deliveries/${sent.body.delivery.id}/retry`);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('delivery.pending');
    } finally {
      answer.resolve(reply(200));
      await deps.sender.settled(sent.body.delivery.id);
    }
  });

  it('answers 404 for an unknown id', async () => {
    const { app } = setup();
    const res = await request(app).post('/webhook/deliveries/dlv_nope/retry');
    expect(res.status).toBe(404);
  });
});

describe('POST /webhook/send: messages a user can act on', () => {
  it('names a misspelt field instead of ignoring it', async () => {
    const res = await request(createApp(makeDeps())).post('/webhook/send').send({ url: 'http://127.0.0.1:9/', eventType: 'x', payload: 1, maxAttempt: 3 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('request.invalid');
    expect(res.body.error.message).toBe('maxAttempt: is not a known field');
  });

  it('says to send JSON when the body arrives without a JSON content type', async () => {
    const res = await request(createApp(makeDeps())).post('/webhook/send').type('form').send('url=http://x&eventType=y');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('Content-Type: application/json');
  });
});

describe('list queries', () => {
  it.each(['/webhook/history?limit=abc', '/webhook/deliveries?limit=0', '/webhook/history?limit=501'])('answers %s with the allowed range', async (path) => {
    const res = await request(createApp(makeDeps())).get(path);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('limit: must be an integer from 1 to 500');
  });
});
