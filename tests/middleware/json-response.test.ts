import express, { type Express, type Request, type Response } from 'express';
import request from 'supertest';
import { installJsonResponse } from '../../src/middleware/json-response';

/** The same routes on two apps: one with Express's own res.json, one with ours. */
function apps(): { plain: Express; ours: Express } {
  const build = (install: boolean): Express => {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    if (install) installJsonResponse(app);
    app.all('/ok', (_req: Request, res: Response) => {
      res.status(200).json({ received: true, id: 'evt_1', duplicate: false });
    });
    app.get('/unicode', (_req, res) => {
      res.json({ message: 'Zürich — naïve ✓ 日本' });
    });
    app.get('/typed', (_req, res) => {
      res.type('application/problem+json').status(400).json({ error: { code: 'x' } });
    });
    app.get('/empty', (_req, res) => {
      res.status(204).json({ ignored: true });
    });
    app.get('/undefined', (_req, res) => {
      res.json(undefined);
    });
    app.get('/scalar', (_req, res) => {
      res.json(42);
    });
    return app;
  };
  return { plain: build(false), ours: build(true) };
}

/** Status, headers (without Date) and body bytes: what a client sees. */
async function seen(app: Express, method: 'get' | 'post' | 'head', path: string, headers: Record<string, string> = {}) {
  const res = await request(app)[method](path).set(headers).buffer(true).parse((r, done) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => done(null, Buffer.concat(chunks)));
  });
  const { date: _date, ...rest } = res.headers as Record<string, string>;
  return { status: res.status, headers: rest, body: (res.body as Buffer).toString('utf8') };
}

describe('installJsonResponse', () => {
  const cases: [string, 'get' | 'post' | 'head', string, Record<string, string>][] = [
    ['a JSON answer to a POST', 'post', '/ok', {}],
    ['non-ASCII text (Content-Length in bytes)', 'get', '/unicode', {}],
    ['a Content-Type the route set itself', 'get', '/typed', {}],
    ['a 204, which carries no body', 'get', '/empty', {}],
    ['undefined, which has no JSON text', 'get', '/undefined', {}],
    ['a bare number', 'get', '/scalar', {}],
    ['a HEAD request', 'head', '/ok', {}],
    ['a conditional request (If-None-Match: *)', 'get', '/ok', { 'if-none-match': '*' }],
  ];

  it.each(cases)('answers %s exactly as Express does', async (_name, method, path, headers) => {
    const { plain, ours } = apps();

    const expected = await seen(plain, method, path, headers);
    const actual = await seen(ours, method, path, headers);

    expect(actual).toEqual(expected);
  });

  it('sends the JSON with its charset and byte length', async () => {
    const res = await request(apps().ours).get('/unicode');

    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify({ message: 'Zürich — naïve ✓ 日本' }))));
    expect(res.body).toEqual({ message: 'Zürich — naïve ✓ 日本' });
  });

  it('replaces res.json on its own app only, not on Express’s shared response', () => {
    const { ours } = apps();
    const other = express();

    expect(ours.response.json).not.toBe(express.response.json);
    expect(other.response.json).toBe(express.response.json);
  });
});
