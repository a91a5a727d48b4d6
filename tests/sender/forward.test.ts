import request from 'supertest';
import { createApp } from '../../src/app';
import { ConfigError, loadConfig } from '../../src/config';
import { historyEntry } from '../contract/history-store';
import { makeDeps } from '../helpers/deps';
import { recordingFetch } from '../helpers/fetch';
import { nativeHeaders } from '../helpers/sign';

const FORWARD_URL = 'http://localhost:4000/webhooks';

describe('FORWARD_URL', () => {
  it('forwards every accepted webhook there as a delivery with the same event id and the exact body', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch, env: { FORWARD_URL } });
    const app = createApp(deps);
    const bodies = ['{"n": 1}', '{"n":  2}'];

    for (const [i, body] of bodies.entries()) {
      await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: Date.now(), id: `evt_fwd_${i}` })).send(body).expect(200);
    }
    const listed = await request(app).get('/webhook/deliveries');
    await Promise.all(listed.body.items.map((d: { id: string }) => deps.sender.settled(d.id)));

    expect(listed.body.items.map((d: { eventId: string; url: string }) => [d.eventId, d.url]).sort()).toEqual([
      ['evt_fwd_0', FORWARD_URL],
      ['evt_fwd_1', FORWARD_URL],
    ]);
    expect(requests.map((r) => r.body.toString()).sort()).toEqual(bodies.slice().sort());
    expect(requests.every((r) => r.url === FORWARD_URL)).toBe(true);
  });

  it('forwards neither rejected requests nor duplicates', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch, env: { FORWARD_URL } });
    const app = createApp(deps);
    const body = '{"once":true}';
    const headers = nativeHeaders(body, { nowMs: Date.now(), id: 'evt_once' });

    await request(app).post('/webhook/receive').set(headers).send(body).expect(200);
    await request(app).post('/webhook/receive').set(headers).send(body).expect(200); // duplicate
    await request(app).post('/webhook/receive').set({ ...headers, 'x-webhook-signature': `sha256=${'0'.repeat(64)}` }).send('{"x":1}').expect(401);
    const [delivery] = (await deps.deliveries.list({ limit: 10 })).items;
    await deps.sender.settled(delivery!.id);

    expect((await deps.deliveries.list({ limit: 10 })).items).toHaveLength(1);
    expect(requests).toHaveLength(1);
  });

  it('leaves a webhook another instance received (STORE=postgres) to that instance to forward', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch, env: { FORWARD_URL } });
    const entry = historyEntry('evt_elsewhere');
    deps.rawBodies.set(entry.id, Buffer.from('{"n":1}')); // held here too, so only `remote` keeps it from going out
    deps.feed.subscribe({ onEvent: () => undefined });
    deps.feed.publish('received', entry.id, entry, { remote: true });
    deps.feed.publish('received', 'evt_here', historyEntry('evt_here'));
    deps.rawBodies.set('evt_here', Buffer.from('{"n":2}'));
    await new Promise((resolve) => setImmediate(resolve));
    const { items } = await deps.deliveries.list({ limit: 10 });
    await Promise.all(items.map((d) => deps.sender.settled(d.id)));

    expect(items.map((d) => d.eventId)).toEqual(['evt_here']);
    expect(requests.map((r) => r.body.toString())).toEqual(['{"n":2}']);
  });

  it('forwards nothing when unset', async () => {
    const { fetch, requests } = recordingFetch();
    const deps = makeDeps({ fetch });
    const body = '{"a":1}';

    await request(createApp(deps)).post('/webhook/receive').set(nativeHeaders(body, { nowMs: Date.now() })).send(body).expect(200);

    expect((await deps.deliveries.list({ limit: 10 })).items).toHaveLength(0);
    expect(requests).toHaveLength(0);
  });

  it('stops start-up when it is not an http(s) URL, naming the variable', async () => {
    expect(() => loadConfig({ WEBHOOK_SECRET: 's', FORWARD_URL: 'localhost:4000' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_SECRET: 's', FORWARD_URL: 'localhost:4000' })).toThrow(/FORWARD_URL/);
  });
});
