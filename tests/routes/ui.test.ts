import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../src/app';
import { resolvePublicDir } from '../../src/ui/assets';
import { makeDeps } from '../helpers/deps';
import { clientFromHeader } from '../helpers/security';

const PUBLIC_DIR = path.join(__dirname, '../../src/ui/public');
const moduleFiles = (): string[] => readdirSync(PUBLIC_DIR).filter((f) => f.endsWith('.js')).sort();

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

describe('the history page', () => {
  it('is served at / with a strict Content-Security-Policy', async () => {
    const res = await request(createApp(makeDeps())).get('/');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).toContain('<script type="module" src="/ui/main.js"></script>');
  });

  it('holds no inline script, inline style or inline event handler that the policy would block', async () => {
    const res = await request(createApp(makeDeps())).get('/');

    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(res.text).not.toMatch(/<style/i);
    expect(res.text).not.toMatch(/\sstyle=/i);
    expect(res.text).not.toMatch(/\son[a-z]+=/i);
  });

  it('serves every module it imports, and its stylesheet, from /ui/ with a type a browser runs as a module', async () => {
    const app = createApp(makeDeps());
    const seen = new Set<string>();
    const pending = ['main.js'];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const script = await request(app).get(`/ui/${file}`);
      expect(script.status).toBe(200);
      // Browsers refuse a module served with a type that is not JavaScript.
      expect(script.headers['content-type']).toMatch(/^(text|application)\/javascript/);
      for (const [, imported] of script.text.matchAll(/from '\.\/([a-z-]+\.js)'/g)) pending.push(imported!);
    }
    const style = await request(app).get('/ui/app.css');

    expect([...seen].sort()).toEqual(moduleFiles());
    expect(style.status).toBe(200);
    expect(style.headers['content-type']).toMatch(/^text\/css/);
  });

  it('keeps each module under 300 lines', () => {
    for (const file of moduleFiles()) {
      expect([file, readFileSync(path.join(PUBLIC_DIR, file), 'utf8').split('\n').length < 300]).toEqual([file, true]);
    }
  });

  it('puts payload data on the page with text nodes only, never innerHTML', () => {
    for (const file of moduleFiles()) {
      const script = readFileSync(path.join(PUBLIC_DIR, file), 'utf8');
      expect(script).not.toMatch(/\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write/);
    }
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

describe('GET /ui/config, what the page shows in its empty state', () => {
  const TOKEN = 'a-long-enough-admin-token-0123456789';

  it('gives a browser on this machine the receive path and the signing secret, so the ready command works as pasted', async () => {
    const res = await request(createApp(makeDeps({ env: { WEBHOOK_SECRET: 'first-secret,second-secret' } }))).get('/ui/config');

    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ receivePath: '/webhook/receive', forwardUrl: null, secret: 'first-secret', secretGenerated: false });
  });

  it('never gives the secret to a page opened from another machine, even with the admin token', async () => {
    const app = createApp(makeDeps({ env: { ADMIN_TOKEN: TOKEN }, clientAddress: clientFromHeader }));

    const res = await request(app).get('/ui/config').set('x-test-client', '192.0.2.7').set('Authorization', `Bearer ${TOKEN}`);

    expect(res.status).toBe(200);
    expect(res.body.secret).toBeNull();
  });

  it('never gives the secret to a loopback request that names another host (DNS rebinding)', async () => {
    const app = createApp(makeDeps({ env: { ADMIN_TOKEN: TOKEN } }));

    const res = await request(app).get('/ui/config').set('Host', 'attacker.example:3005').set('Authorization', `Bearer ${TOKEN}`);

    expect(res.status).toBe(200);
    expect(res.body.secret).toBeNull();
  });

  it('is behind the same guard as the page', async () => {
    const app = createApp(makeDeps({ env: { ADMIN_TOKEN: TOKEN }, clientAddress: clientFromHeader }));

    const res = await request(app).get('/ui/config').set('x-test-client', '192.0.2.7');

    expect(res.status).toBe(401);
  });

  it('names FORWARD_URL when it is set, for the replay form', async () => {
    const res = await request(createApp(makeDeps({ env: { FORWARD_URL: 'http://localhost:4000/fwd' } }))).get('/ui/config');

    expect(res.body.forwardUrl).toBe('http://localhost:4000/fwd');
  });
});
