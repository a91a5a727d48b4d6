import request from 'supertest';
import { createApp } from '../../src/app';
import { createHistoryFeed } from '../../src/history/feed';
import { makeDeps } from '../helpers/deps';
import { nativeHeaders } from '../helpers/sign';
import { testApp } from '../helpers/app';

const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('deeply nested JSON (issue 11)', () => {
  it('is accepted at MAX_JSON_DEPTH (64 by default) and readable in the history', async () => {
    const { post, app } = testApp();

    const res = await post(nested(64), { id: 'evt_deep_ok' });

    expect(res.status).toBe(200);
    expect((await request(app).get('/webhook/history/evt_deep_ok')).status).toBe(200);
    expect((await request(app).get('/webhook/history')).status).toBe(200);
  });

  it('is refused one level over the limit with 400 body.too_deep, and recorded as rejected', async () => {
    const { post, app } = testApp();

    const res = await post(nested(65), { id: 'evt_deep' });

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('body.too_deep');
    expect((await request(app).get('/webhook/history/evt_deep')).status).toBe(404);
    const rejected = await request(app).get('/webhook/history?status=rejected');
    expect(rejected.status).toBe(200);
    expect(rejected.body.items).toEqual([expect.objectContaining({ status: 'rejected', verification: expect.objectContaining({ reason: 'body.too_deep' }) })]);
  });

  it('is refused thousands of levels deep, and the history still answers with the page open', async () => {
    const deps = makeDeps();
    const app = createApp(deps);
    deps.feed.subscribe({ onEvent: () => undefined }); // the page open: every change is serialized for it
    const body = `${'['.repeat(5000)}${']'.repeat(5000)}`;

    const res = await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: Date.now() })).send(body);

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('body.too_deep');
    expect((await request(app).get('/webhook/history?status=rejected')).status).toBe(200);
  });

  it('follows MAX_JSON_DEPTH', async () => {
    const { post } = testApp({ env: { MAX_JSON_DEPTH: '3' } });

    expect((await post(nested(3))).status).toBe(200);
    expect((await post(nested(4))).body.error.code).toBe('body.too_deep');
  });

  it('without a JSON content type is kept as text rather than parsed', async () => {
    const { post, app } = testApp();

    const res = await post(nested(100), { id: 'evt_text' }, { 'content-type': 'text/plain' });

    expect(res.status).toBe(200);
    expect((await request(app).get('/webhook/history/evt_text')).body.payload).toBe(nested(100));
  });
});

describe('an event that was stored', () => {
  it('is answered 200 even when a feed listener throws', async () => {
    const deps = makeDeps();
    deps.feed.subscribe({
      onEvent: () => {
        throw new Error('listener failed');
      },
    });
    const app = createApp(deps);
    const body = '{"n":1}';

    const res = await request(app).post('/webhook/receive').set(nativeHeaders(body, { nowMs: Date.now(), id: 'evt_stored' })).send(body);

    expect(res.body).toEqual({ received: true, id: 'evt_stored', duplicate: false });
    expect((await deps.history.get('evt_stored'))?.status).toBe('accepted');
  });

  it('is answered 200 even when publishing it fails (a serializer that throws), and its retry is a duplicate', async () => {
    const feed = createHistoryFeed();
    feed.publish = () => {
      throw new RangeError('Maximum call stack size exceeded');
    };
    const deps = makeDeps({ feed });
    const app = createApp(deps);
    const body = '{"n":1}';
    const headers = nativeHeaders(body, { nowMs: Date.now(), id: 'evt_published' });

    const res = await request(app).post('/webhook/receive').set(headers).send(body);
    const retry = await request(app).post('/webhook/receive').set(headers).send(body);

    expect(res.body).toEqual({ received: true, id: 'evt_published', duplicate: false });
    expect(retry.body).toEqual({ received: true, id: 'evt_published', duplicate: true });
  });
});
