import request from 'supertest';
import { expectError } from '../helpers/app';
import { memoryLogger } from '../helpers/deps';
import { nativeVerifies, providerApp, standardVerifies, type Backend, type ProviderApp } from '../helpers/endpoints';

const HOUR_MS = 3_600_000;

describe.each<Backend>(['memory', 'sqlite'])('secret rotation (%s)', (backend) => {
  let p: ProviderApp;
  beforeEach(() => {
    p = providerApp({ backend });
  });
  afterEach(() => p.close());

  it('signs with both secrets during the grace period, then with the new one only', async () => {
    const { endpoint, secret: oldSecret } = await p.createEndpoint({ url: 'https://a.example/hooks', scheme: 'standard' });
    const rotated = await request(p.app).post(`/webhook/endpoints/${endpoint.id}/secret/rotate`);
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    expect(rotated.body.previousSecretUntil).toBe(new Date(p.clock.now() + 24 * HOUR_MS).toISOString());
    expect((await request(p.app).get(`/webhook/endpoints/${endpoint.id}/secret`)).body).toEqual({ secret: newSecret, previousSecretUntil: rotated.body.previousSecretUntil });

    await p.publish({ eventType: 'a', payload: 1 });
    const during = p.calls[0]!;
    expect(during.headers.get('webhook-signature')!.split(' ')).toHaveLength(2);
    expect(standardVerifies(oldSecret, during)).toBe(true);
    expect(standardVerifies(newSecret, during)).toBe(true);

    p.clock.advance(24 * HOUR_MS);
    await p.publish({ eventType: 'a', payload: 2 });
    const after = p.calls[1]!;
    expect(after.headers.get('webhook-signature')!.split(' ')).toHaveLength(1);
    expect(standardVerifies(newSecret, after)).toBe(true);
    expect(standardVerifies(oldSecret, after)).toBe(false);
    expect((await request(p.app).get(`/webhook/endpoints/${endpoint.id}/secret`)).body).toEqual({ secret: newSecret, previousSecretUntil: null });
  });

  it('rotates a native endpoint the same way', async () => {
    const { endpoint, secret: oldSecret } = await p.createEndpoint({ url: 'https://a.example/hooks' });
    const newSecret = (await request(p.app).post(`/webhook/endpoints/${endpoint.id}/secret/rotate`)).body.secret as string;
    await p.publish({ eventType: 'a', payload: 1 });
    expect([nativeVerifies(oldSecret, p.calls[0]!), nativeVerifies(newSecret, p.calls[0]!)]).toEqual([true, true]);
    p.clock.advance(24 * HOUR_MS + 1);
    await p.publish({ eventType: 'a', payload: 2 });
    expect([nativeVerifies(oldSecret, p.calls[1]!), nativeVerifies(newSecret, p.calls[1]!)]).toEqual([false, true]);
  });
});

describe.each<Backend>(['memory', 'sqlite'])('disabling an endpoint that keeps failing (%s)', (backend) => {
  let p: ProviderApp;
  let status: number;
  let log: ReturnType<typeof memoryLogger>;
  beforeEach(() => {
    status = 500;
    log = memoryLogger('info');
    p = providerApp({ backend, env: { SEND_MAX_ATTEMPTS: '1' }, answer: () => status, logger: log.logger });
  });
  afterEach(() => p.close());

  const endpointNow = async (id: string) => (await request(p.app).get(`/webhook/endpoints/${id}`)).body;
  const failTimes = async (n: number) => {
    for (let i = 0; i < n; i += 1) await p.publish({ eventType: 'a', payload: i });
  };

  it('disables it once 120 hours of only failures hold at least 10 failed deliveries, and new events skip it', async () => {
    const { endpoint } = await p.createEndpoint({ url: 'https://down.example/hooks' });
    await failTimes(1);
    p.clock.advance(121 * HOUR_MS);
    await failTimes(8);
    // 121 hours, but 9 failures: not yet.
    expect(await endpointNow(endpoint.id)).toMatchObject({ enabled: true, failuresSinceSuccess: 9 });
    await failTimes(1);
    const disabled = await endpointNow(endpoint.id);
    expect(disabled).toMatchObject({ enabled: false, failuresSinceSuccess: 10 });
    expect(disabled.disabledReason).toContain('10 failed deliveries');
    expect(log.lines().filter((l) => l.includes('endpoint disabled'))).toHaveLength(1);
    expect((await request(p.app).get('/metrics')).text).toMatch(/^webhook_endpoints_disabled_total 1$/m);

    const skipped = await p.publish({ eventType: 'a', payload: 'later' });
    expect(skipped.body.deliveries).toEqual([]);

    // Enabled again by hand: the streak starts afresh, so the next failure does not switch it off at once.
    const enabled = await request(p.app).patch(`/webhook/endpoints/${endpoint.id}`).send({ enabled: true });
    expect(enabled.body).toMatchObject({ enabled: true, disabledReason: null, failuresSinceSuccess: 0, failingSince: null });
    await failTimes(1);
    expect(await endpointNow(endpoint.id)).toMatchObject({ enabled: true, failuresSinceSuccess: 1 });
  });

  it('keeps it while the failures span less than the time, or a success came in between', async () => {
    const { endpoint } = await p.createEndpoint({ url: 'https://flaky.example/hooks' });
    await failTimes(1);
    p.clock.advance(119 * HOUR_MS);
    await failTimes(20);
    expect(await endpointNow(endpoint.id)).toMatchObject({ enabled: true, failuresSinceSuccess: 21 });

    status = 200;
    await failTimes(1);
    expect(await endpointNow(endpoint.id)).toMatchObject({ enabled: true, failuresSinceSuccess: 0, failingSince: null });
    status = 500;
    p.clock.advance(2 * HOUR_MS);
    await failTimes(10);
    // 121 hours since the first failure of all, but only 0 since the first one after the success.
    expect(await endpointNow(endpoint.id)).toMatchObject({ enabled: true, failuresSinceSuccess: 10 });
  });
});

describe.each<Backend>(['memory', 'sqlite'])('recovery and stats (%s)', (backend) => {
  let p: ProviderApp;
  let status: number;
  beforeEach(() => {
    status = 500;
    p = providerApp({ backend, env: { SEND_MAX_ATTEMPTS: '1' }, answer: () => status });
  });
  afterEach(() => p.close());

  const at = (ms: number) => new Date(ms).toISOString();

  it('re-sends exactly the failed deliveries of the window, as a job with its progress', async () => {
    const { endpoint } = await p.createEndpoint({ url: 'https://a.example/hooks' });
    const other = await p.createEndpoint({ url: 'https://b.example/hooks', eventTypes: ['other'] });
    const t0 = p.clock.now();
    const post = async (ok: boolean, n: number) => {
      status = ok ? 200 : 500;
      const res = await p.publish({ eventType: 'a', payload: { n } });
      p.clock.advance(HOUR_MS);
      return res.body.deliveries[0].deliveryId as string;
    };
    const failedInWindow1 = await post(false, 1);
    await post(true, 2);
    const failedInWindow2 = await post(false, 3);
    await p.publish({ eventType: 'other', payload: { n: 99 } }); // another endpoint's failure in the window
    p.clock.advance(HOUR_MS);
    const failedAfter = await post(false, 5);
    expect(other.endpoint.id).not.toBe(endpoint.id);

    status = 200;
    const callsBefore = p.calls.length;
    const started = await request(p.app).post(`/webhook/endpoints/${endpoint.id}/recover`).send({ since: at(t0), until: at(t0 + 3 * HOUR_MS) });
    expect(started.status).toBe(202);
    expect(started.body.job).toMatchObject({ endpointId: endpoint.id, status: 'running', total: 2, since: at(t0), until: at(t0 + 3 * HOUR_MS) });
    await p.deps.recoveries.idle();
    await Promise.all([failedInWindow1, failedInWindow2].map((id) => p.deps.sender.settled(id)));

    const job = await request(p.app).get(started.headers.location!);
    expect(job.body.job).toMatchObject({ status: 'done', total: 2, resent: 2, skipped: 0 });
    expect(p.calls.slice(callsBefore).map((c) => JSON.parse(c.body.toString()).n).sort()).toEqual([1, 3]);
    for (const id of [failedInWindow1, failedInWindow2]) expect((await request(p.app).get(`/webhook/deliveries/${id}`)).body.status).toBe('delivered');
    expect((await request(p.app).get(`/webhook/deliveries/${failedAfter}`)).body.status).toBe('failed');
  });

  it('refuses to recover a disabled endpoint, and a bad window', async () => {
    const { endpoint } = await p.createEndpoint({ url: 'https://a.example/hooks', enabled: false });
    expectError(await request(p.app).post(`/webhook/endpoints/${endpoint.id}/recover`).send({ since: at(p.clock.now()) }), 409, 'endpoint.disabled');
    const bad = await request(p.app).post(`/webhook/endpoints/${endpoint.id}/recover`).send({ since: 'yesterday', until: 5 });
    expectError(bad, 400, 'request.invalid');
    expect(bad.body.error.message).toContain('since:');
    expect(bad.body.error.message).toContain('until:');
    const backwards = await request(p.app).post(`/webhook/endpoints/${endpoint.id}/recover`).send({ since: at(p.clock.now()), until: at(p.clock.now() - 1) });
    expectError(backwards, 400, 'request.invalid');
  });

  it('counts successes and failures of the last hour and day, with the last of each', async () => {
    const { endpoint } = await p.createEndpoint({ url: 'https://a.example/hooks' });
    const empty = await request(p.app).get(`/webhook/endpoints/${endpoint.id}/stats`);
    expect(empty.body).toEqual({
      lastHour: { delivered: 0, failed: 0, successRate: null },
      lastDay: { delivered: 0, failed: 0, successRate: null },
      lastSuccessAt: null,
      lastFailureAt: null,
    });
    status = 200;
    await p.publish({ eventType: 'a', payload: 1 });
    status = 500;
    await p.publish({ eventType: 'a', payload: 2 });
    const failure = p.clock.now();
    p.clock.advance(2 * HOUR_MS);
    status = 200;
    await p.publish({ eventType: 'a', payload: 3 });
    const stats = await request(p.app).get(`/webhook/endpoints/${endpoint.id}/stats`);
    expect(stats.body).toEqual({
      lastHour: { delivered: 1, failed: 0, successRate: 1 },
      lastDay: { delivered: 2, failed: 1, successRate: 2 / 3 },
      lastSuccessAt: at(p.clock.now()),
      lastFailureAt: at(failure),
    });
  });

  it("lists the endpoint's newest deliveries with their attempts", async () => {
    const { endpoint } = await p.createEndpoint({ url: 'https://a.example/hooks' });
    status = 200;
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      ids.push((await p.publish({ eventType: 'a', payload: n })).body.deliveries[0].deliveryId);
      p.clock.advance(1000);
    }
    const res = await request(p.app).get(`/webhook/endpoints/${endpoint.id}/deliveries?limit=2`);
    expect(res.body.items.map((d: { id: string }) => d.id)).toEqual([ids[2], ids[1]]);
    expect(res.body.items[0].attempts[0].statusCode).toBe(200);
  });
});
