import request from 'supertest';
import { createApp } from '../../src/app';
import { makeDeps } from '../helpers/deps';

describe('/webhook/receive with a method other than POST', () => {
  it.each(['get', 'put', 'patch', 'delete'] as const)('answers %s with 405, Allow: POST and a JSON hint', async (method) => {
    const app = createApp(makeDeps());

    const res = await request(app)[method]('/webhook/receive');

    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.error.code).toBe('method.not_allowed');
    expect(res.body.error.message).toContain(`${method.toUpperCase()} /webhook/receive is not supported: use POST.`);
    expect(res.body.error.message).toContain('GET /webhook/history');
  });

  it('answers HEAD with 405 and Allow: POST, without a body', async () => {
    const res = await request(createApp(makeDeps())).head('/webhook/receive');

    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });

  it('records nothing in the history', async () => {
    const deps = makeDeps();
    const app = createApp(deps);
    await request(app).get('/webhook/receive');

    const history = await request(app).get('/webhook/history');
    expect(history.body.items).toEqual([]);
  });

  it('still answers 404 for a path below it', async () => {
    const res = await request(createApp(makeDeps())).get('/webhook/receive/extra');

    expect(res.status).toBe(404);
  });
});
