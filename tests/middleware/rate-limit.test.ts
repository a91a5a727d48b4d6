import request from 'supertest';
import { createApp } from '../../src/app';
import { rateLimitKey } from '../../src/middleware/rate-limit';
import { fakeClock, makeDeps } from '../helpers/deps';
import { clientFromHeader } from '../helpers/security';
import { nativeHeaders } from '../helpers/sign';

function limitedApp(perMinute: string) {
  const clock = fakeClock();
  const deps = makeDeps({ env: { RECEIVE_RATE_LIMIT: perMinute }, now: clock.now, clientAddress: clientFromHeader });
  return { app: createApp(deps), clock, deps };
}

const receiveFrom = (app: ReturnType<typeof createApp>, address: string) => request(app).post('/webhook/receive').set('x-test-client', address).send('{}');

describe('RECEIVE_RATE_LIMIT', () => {
  it('answers 429 rate_limited with Retry-After once a client has used its budget', async () => {
    const { app } = limitedApp('2');
    const first = await receiveFrom(app, '203.0.113.1');
    const second = await receiveFrom(app, '203.0.113.1');
    const third = await receiveFrom(app, '203.0.113.1');
    expect([first.status, second.status]).toEqual([401, 401]);
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('rate_limited');
    // 2 a minute: one token every 30 s.
    expect(third.headers['retry-after']).toBe('30');
  });

  it('gives each client address its own budget', async () => {
    const { app } = limitedApp('1');
    await receiveFrom(app, '203.0.113.1');
    const a = await receiveFrom(app, '203.0.113.1');
    const b = await receiveFrom(app, '203.0.113.2');
    expect(a.status).toBe(429);
    expect(b.status).toBe(401);
  });

  it('counts every address of one IPv6 /64 as one client', async () => {
    const { app } = limitedApp('1');
    await receiveFrom(app, '2001:db8:1:2::1');
    const sameNetwork = await receiveFrom(app, '2001:db8:1:2:ffff::9');
    const otherNetwork = await receiveFrom(app, '2001:db8:1:3::1');
    expect(sameNetwork.status).toBe(429);
    expect(otherNetwork.status).toBe(401);
  });

  it('refills the budget as time passes', async () => {
    const { app, clock } = limitedApp('2');
    await receiveFrom(app, '203.0.113.1');
    await receiveFrom(app, '203.0.113.1');
    clock.advance(29_000);
    const early = await receiveFrom(app, '203.0.113.1');
    clock.advance(1_000);
    const onTime = await receiveFrom(app, '203.0.113.1');
    expect(early.status).toBe(429);
    expect(early.headers['retry-after']).toBe('1');
    expect(onTime.status).toBe(401);
  });

  it('refuses before the body is read, so a flood never reaches the history', async () => {
    const { app, deps, clock } = limitedApp('1');
    const body = '{"a":1}';
    await request(app).post('/webhook/receive').set('x-test-client', '203.0.113.1').set(nativeHeaders(body, { nowMs: clock.now() })).send(body);
    const limited = await request(app).post('/webhook/receive').set('x-test-client', '203.0.113.1').set(nativeHeaders(body, { nowMs: clock.now(), id: 'evt_2' })).send(body);
    expect(limited.status).toBe(429);
    expect(await deps.history.counts()).toEqual({ accepted: 1, rejected: 0 });
  });

  it('is off by default', async () => {
    const app = createApp(makeDeps({ clientAddress: clientFromHeader }));
    const statuses = new Set<number>();
    for (let i = 0; i < 30; i += 1) statuses.add((await receiveFrom(app, '203.0.113.1')).status);
    expect([...statuses]).toEqual([401]);
  });

  it('does not limit the management API', async () => {
    const { app } = limitedApp('1');
    const a = await request(app).get('/healthz');
    const b = await request(app).get('/healthz');
    expect([a.status, b.status]).toEqual([200, 200]);
  });
});

describe('rateLimitKey', () => {
  it.each([
    ['203.0.113.1', '203.0.113.1'],
    ['::ffff:203.0.113.1', '203.0.113.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('keys %s as %s', (address, key) => {
    expect(rateLimitKey(address)).toBe(key);
  });
});
