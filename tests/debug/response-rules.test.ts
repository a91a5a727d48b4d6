import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApp } from '../../src/app';
import { makeDeps } from '../helpers/deps';
import { nativeHeaders } from '../helpers/sign';

const instantSleep = async (): Promise<void> => undefined;

describe('mock responses: /webhook/response-rules', () => {
  it("a rule answering 503 twice, then the usual 200: this server's own sender records three attempts", async () => {
    const deps = makeDeps({ sleep: instantSleep });
    const app = createApp(deps);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/receive`;
    try {
      const created = await request(app).post('/webhook/response-rules').send({ status: 503, body: { error: 'down for a test' }, remaining: 2 });
      expect(created.status).toBe(201);

      const sent = await request(app).post('/webhook/send?wait=true').send({ url, eventType: 'order.paid', payload: { n: 1 } });

      expect(sent.status).toBe(200);
      expect(sent.body.delivery.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([503, 503, 200]);
      expect(sent.body.delivery.attempts[0].responseBody).toBe('{"error":"down for a test"}');
      expect((await request(app).get('/webhook/response-rules')).body.items).toEqual([]);
      const [entry] = (await deps.history.list({ limit: 5 })).items;
      expect(entry!.response).toEqual({ ruleId: created.body.rule.id, status: 503 });
      expect(entry!.duplicates).toBe(2);
    } finally {
      await deps.sender.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers only matching event types, with its headers, after its delay, and records the request', async () => {
    const delays: number[] = [];
    const deps = makeDeps({ now: () => Date.now(), sleep: async (ms: number) => void delays.push(ms) });
    const app = createApp(deps);
    await request(app).post('/webhook/response-rules').send({ status: 500, body: 'boom', headers: { 'Retry-After': '7' }, delayMs: 2500, eventType: 'invoice.*' }).expect(201);

    // Two bodies: the same signed content within a second would be a duplicate of the first.
    const [first, second] = ['{"a":1}', '{"a":2}'];
    const other = await request(app).post('/webhook/receive').set(nativeHeaders(first, { nowMs: Date.now(), event: 'user.created', id: 'e1' })).send(first);
    const mocked = await request(app).post('/webhook/receive').set(nativeHeaders(second, { nowMs: Date.now(), event: 'invoice.paid', id: 'e2' })).send(second);

    expect(other.status).toBe(200);
    expect(mocked.status).toBe(500);
    expect(mocked.text).toBe('boom');
    expect(mocked.headers['retry-after']).toBe('7');
    expect(delays).toEqual([2500]);
    expect((await deps.history.get('e2'))!.response).toMatchObject({ status: 500 });
    expect((await deps.history.get('e1'))!.response).toBeUndefined();
  });

  it('lists and deletes rules; an unknown id is 404', async () => {
    const app = createApp(makeDeps());
    const { body } = await request(app).post('/webhook/response-rules').send({ status: 202 }).expect(201);
    expect((await request(app).get('/webhook/response-rules')).body.items).toEqual([expect.objectContaining({ id: body.rule.id, status: 202, used: 0 })]);
    await request(app).delete(`/webhook/response-rules/${body.rule.id}`).expect(204);
    expect((await request(app).delete(`/webhook/response-rules/${body.rule.id}`)).body.error.code).toBe('not_found');
    await request(app).post('/webhook/response-rules').send({ status: 202 }).expect(201);
    await request(app).delete('/webhook/response-rules').expect(204);
    expect((await request(app).get('/webhook/response-rules')).body.items).toEqual([]);
  });

  it.each([
    ['a status out of range', { status: 99 }, 'status'],
    ['a 1xx status', { status: 101 }, 'status'],
    ['a status above 599', { status: 600 }, 'status'],
    ['an unbounded delay', { status: 500, delayMs: 10_000_000 }, 'delayMs'],
    ['a bad header name', { status: 500, headers: { 'bad name': 'x' } }, 'headers'],
    ['a reserved header', { status: 500, headers: { 'Content-Length': '5' } }, 'headers'],
    ['a header value with a newline', { status: 500, headers: { 'x-a': 'a\r\nx-b: injected' } }, 'headers'],
    ['remaining 0', { status: 500, remaining: 0 }, 'remaining'],
    ['an unknown field', { status: 500, times: 2 }, 'times'],
  ])('refuses %s with 400 naming the field', async (_name, input, field) => {
    const res = await request(createApp(makeDeps())).post('/webhook/response-rules').send(input);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('request.invalid');
    expect(res.body.error.message).toMatch(new RegExp(`(^|; )${field}: `));
  });

  it('is a management route: a remote client without the token and a cross-site page are refused', async () => {
    const remote = createApp(makeDeps({ clientAddress: () => '203.0.113.9' }));
    expect((await request(remote).get('/webhook/response-rules')).status).toBe(403);
    const local = createApp(makeDeps());
    const res = await request(local).post('/webhook/response-rules').set('Sec-Fetch-Site', 'cross-site').send({ status: 500 });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf.rejected');
    const token = createApp(makeDeps({ env: { ADMIN_TOKEN: 'a-long-admin-token-0123456789' } }));
    expect((await request(token).post('/webhook/response-rules').send({ status: 500 })).status).toBe(401);
  });
});
