import request from 'supertest';
import { createApp } from '../../src/app';
import type { AppDeps } from '../../src/deps';
import { makeDeps } from '../helpers/deps';
import { recordingFetch } from '../helpers/fetch';
import { reply, scriptedFetch } from '../helpers/send-fakes';
import { nativeHeaders } from '../helpers/sign';
import { listen, openStream, type SseClient, type SseFrame } from '../helpers/sse';

type Served = Awaited<ReturnType<typeof listen>>;

let served: Served | undefined;
let client: SseClient | undefined;

afterEach(async () => {
  client?.close();
  client = undefined;
  await served?.close();
  served = undefined;
});

async function streamFor(deps: AppDeps): Promise<{ target: Served; client: SseClient }> {
  served = await listen(createApp(deps));
  client = await openStream(served.url, '/webhook/history/stream');
  await client.nextEvent(); // ready
  return { target: served, client };
}

const deliveryOf = (frame: SseFrame) => JSON.parse(frame.data!) as { id: string; status: string; attempts: unknown[]; source?: unknown };
const isDelivery = (frame: SseFrame) => frame.event === 'delivery';

describe('deliveries on the history stream', () => {
  it('pushes a sent delivery when it is created, when a retry is scheduled and when it ends, marked as a send', async () => {
    const deps = makeDeps({ fetch: scriptedFetch([reply(500), reply(200)]).fetch, sleep: async () => undefined });
    const { target, client } = await streamFor(deps);

    const sent = await request(target.server)
      .post('/webhook/send?wait=true')
      .send({ url: 'http://localhost:4000/hooks', eventType: 'user.created', payload: { a: 1 } })
      .expect(200);

    const frames = [await client.next(isDelivery), await client.next(isDelivery), await client.next(isDelivery)].map(deliveryOf);
    expect(frames.map((d) => d.id)).toEqual(Array(3).fill(sent.body.delivery.id));
    expect(frames.map((d) => [d.status, d.attempts.length])).toEqual([
      ['pending', 0],
      ['pending', 1],
      ['delivered', 2],
    ]);
    expect(frames[2]!.source).toEqual({ kind: 'send' });
  });

  it('marks a replay with the history entry it re-sends, on the stream and in the API', async () => {
    const deps = makeDeps({ fetch: recordingFetch(200).fetch });
    const { target, client } = await streamFor(deps);
    const body = '{"order":42}';
    await request(target.server).post('/webhook/receive').set(nativeHeaders(body, { nowMs: Date.now(), id: 'evt_src_1' })).send(body).expect(200);

    const replay = await request(target.server).post('/webhook/history/evt_src_1/replay').send({ url: 'http://localhost:4000/hooks' }).expect(202);

    const frame = await client.next(isDelivery);
    expect(deliveryOf(frame)).toMatchObject({ id: replay.body.delivery.id, source: { kind: 'replay', historyId: 'evt_src_1' } });
    const stored = await request(target.server).get(`/webhook/deliveries/${replay.body.delivery.id}`).expect(200);
    expect(stored.body.source).toEqual({ kind: 'replay', historyId: 'evt_src_1' });
  });

  it('marks a FORWARD_URL delivery as a forward of the received entry', async () => {
    const deps = makeDeps({ fetch: recordingFetch(200).fetch, env: { FORWARD_URL: 'http://localhost:4000/fwd' } });
    const { target, client } = await streamFor(deps);
    const body = '{"n":1}';

    await request(target.server).post('/webhook/receive').set(nativeHeaders(body, { nowMs: Date.now(), id: 'evt_fwd_src' })).send(body).expect(200);

    const frame = await client.next(isDelivery);
    expect(deliveryOf(frame).source).toEqual({ kind: 'forward', historyId: 'evt_fwd_src' });
  });
});
