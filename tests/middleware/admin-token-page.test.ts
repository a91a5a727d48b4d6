import request from 'supertest';
import { createApp } from '../../src/app';
import { makeDeps } from '../helpers/deps';
import { clientFromHeader } from '../helpers/security';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

function appWithoutToken() {
  return createApp(makeDeps({ clientAddress: clientFromHeader }));
}

describe('a browser on another machine, without ADMIN_TOKEN', () => {
  it.each(['/', '/webhook/history', '/webhook/deliveries'])('gets a short HTML page on %s saying how to set ADMIN_TOKEN', async (path) => {
    const res = await request(appWithoutToken()).get(path).set('x-test-client', '192.168.1.20').set('Accept', BROWSER_ACCEPT);

    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers.vary).toMatch(/Accept/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain('<h1>Set ADMIN_TOKEN to open this page from here</h1>');
    expect(res.text).toContain('export ADMIN_TOKEN=$(openssl rand -hex 32)');
    expect(res.text).toContain('any user name, the token as the password');
  });

  it('links to the page on the server machine itself, with the port it listens on', async () => {
    const app = appWithoutToken();
    const server = app.listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as { port: number };
      const res = await request(`http://127.0.0.1:${port}`).get('/').set('x-test-client', '10.0.2.2').set('Accept', BROWSER_ACCEPT);
      expect(res.text).toContain(`<a href="http://localhost:${port}/">`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers a loopback browser whose Host is not localhost with the page too (no history in it)', async () => {
    const res = await request(appWithoutToken()).get('/webhook/history').set('Host', 'rebound.example:3005').set('Accept', BROWSER_ACCEPT);

    expect(res.status).toBe(403);
    expect(res.text).toContain('ADMIN_TOKEN');
    expect(res.text).not.toContain('"items"');
  });
});

describe('an API client on another machine, without ADMIN_TOKEN', () => {
  it.each([undefined, '*/*', 'application/json'])('still gets the JSON 403 with Accept %j', async (accept) => {
    let req = request(appWithoutToken()).get('/webhook/history').set('x-test-client', '192.168.1.20');
    if (accept !== undefined) req = req.set('Accept', accept);
    const res = await req;

    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.error.code).toBe('auth.loopback_only');
  });
});
