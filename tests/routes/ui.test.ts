import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app';
import { resolvePublicDir } from '../../src/ui/assets';
import { makeDeps } from '../helpers/deps';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

describe('the history page', () => {
  it('is served at / with a strict Content-Security-Policy', async () => {
    const res = await request(createApp(makeDeps())).get('/');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).toContain('<script src="/ui/app.js" defer></script>');
  });

  it('holds no inline script, inline style or inline event handler that the policy would block', async () => {
    const res = await request(createApp(makeDeps())).get('/');

    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(res.text).not.toMatch(/<style/i);
    expect(res.text).not.toMatch(/\sstyle=/i);
    expect(res.text).not.toMatch(/\son[a-z]+=/i);
  });

  it('serves its script and stylesheet from /ui/', async () => {
    const app = createApp(makeDeps());

    const script = await request(app).get('/ui/app.js');
    const style = await request(app).get('/ui/app.css');

    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(style.status).toBe(200);
    expect(style.headers['content-type']).toMatch(/^text\/css/);
  });

  it('puts payload data on the page with textContent only, never innerHTML', () => {
    const script = readFileSync(path.join(__dirname, '../../src/ui/public/app.js'), 'utf8');

    expect(script).not.toMatch(/\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write/);
  });
});

describe('GET /webhook/history content negotiation', () => {
  it('answers a browser, which prefers HTML, with the page', async () => {
    const res = await request(createApp(makeDeps())).get('/webhook/history').set('Accept', BROWSER_ACCEPT);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers.vary).toMatch(/Accept/);
  });

  it.each([
    ['application/json', 'application/json'],
    ['curl (*/*)', '*/*'],
  ])('answers %s with JSON', async (_name, accept) => {
    const res = await request(createApp(makeDeps())).get('/webhook/history').set('Accept', accept);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ items: [], nextCursor: null });
    expect(res.headers.vary).toMatch(/Accept/);
  });

  it('answers a client that sends no Accept header with JSON', async () => {
    const res = await request(createApp(makeDeps())).get('/webhook/history').unset('Accept');

    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('keeps the query filters working for JSON clients', async () => {
    const res = await request(createApp(makeDeps())).get('/webhook/history?status=nonsense').set('Accept', 'application/json');

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('request.invalid');
  });
});

describe('resolvePublicDir', () => {
  it('finds the files beside the compiled code, as `npm run build` copies them', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ui-'));
    const dist = path.join(root, 'dist', 'ui');
    mkdirSync(path.join(dist, 'public'), { recursive: true });
    writeFileSync(path.join(dist, 'public', 'index.html'), '<!doctype html>');

    expect(resolvePublicDir(dist)).toBe(path.join(dist, 'public'));
  });

  it('falls back to the source tree when dist was built without the copy step', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ui-'));
    mkdirSync(path.join(root, 'src', 'ui', 'public'), { recursive: true });
    writeFileSync(path.join(root, 'src', 'ui', 'public', 'index.html'), '<!doctype html>');

    expect(resolvePublicDir(path.join(root, 'dist', 'ui'))).toBe(path.join(root, 'src', 'ui', 'public'));
  });

  it('gives undefined when neither holds the page', () => {
    expect(resolvePublicDir(mkdtempSync(path.join(tmpdir(), 'ui-')))).toBeUndefined();
  });
});
