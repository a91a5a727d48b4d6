'use strict';
// The runtime's floor: bare node:http doing the same verify-and-store work as /webhook/receive, with the
// project's own compiled verifier and stores but no Express, no router, no middleware.
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { verifyWebhook } = require('../../dist/signature/verify');
const { MemoryHistoryStore } = require('../../dist/storage/memory/history-store');
const { MemoryDedupeStore } = require('../../dist/storage/memory/dedupe-store');

const secrets = [process.env.WEBHOOK_SECRET];
const dedupe = new MemoryDedupeStore({ ttlSeconds: 86400, maxEntries: 100000 });
const history = new MemoryHistoryStore({ limit: 1000, rejectedLimit: 500 }, dedupe);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const now = Date.now();
    const { scheme, result } = verifyWebhook(req.headers, body, { secrets, nowSeconds: Math.floor(now / 1000), toleranceSeconds: 300 });
    if (!result.ok) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: result.code } }));
      return;
    }
    const identity = scheme.identify(req.headers, undefined);
    const id = identity.eventId ?? `evt_${randomUUID()}`;
    const keys = [`id:${id}`, `sig:${result.signature}`];
    const entry = {
      id, receivedAt: new Date(now).toISOString(), eventType: identity.eventType ?? null, scheme: scheme.name,
      status: 'accepted', verification: { ok: true, reason: null }, headers: { ...req.headers },
      payload: JSON.parse(body.toString('utf8')), sizeBytes: body.length, duplicates: 0, processing: { state: 'done' },
    };
    // The store's one atomic step, as the intake makes it: duplicate check, entry and keys.
    history.accept(entry, body, keys, now).then((outcome) => {
      const answer = outcome.stored ? { received: true, id, duplicate: false } : { received: true, id: outcome.duplicateOf, duplicate: true };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
});
server.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
