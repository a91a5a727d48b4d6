'use strict';
// The receiver a user would write by hand instead of running this server (issue 13): the same Express,
// bodyParser.raw, an HMAC-SHA256 over `<timestamp>.<body>` compared with timingSafeEqual, the timestamp
// tolerance, JSON.parse, a Set of ids seen and a bounded array as the history. No logging, no metrics, no
// security headers: what the server's features are measured against.
const { createHmac, randomUUID, timingSafeEqual } = require('node:crypto');
const express = require('express');
const bodyParser = require('body-parser');

const SECRET = process.env.WEBHOOK_SECRET;
const TOLERANCE_SECONDS = 300;
const HISTORY_LIMIT = 1000;

const seen = new Set();
const history = [];

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.post('/webhook/receive', bodyParser.raw({ type: () => true, limit: 1024 * 1024 }), (req, res) => {
  const timestamp = req.get('x-webhook-timestamp');
  const signature = (req.get('x-webhook-signature') || '').replace(/^sha256=/, '');
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > TOLERANCE_SECONDS) {
    res.status(401).json({ error: 'timestamp' });
    return;
  }
  const expected = createHmac('sha256', SECRET).update(`${timestamp}.`).update(req.body).digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    res.status(401).json({ error: 'signature' });
    return;
  }
  let payload;
  try {
    payload = JSON.parse(req.body.toString('utf8'));
  } catch {
    res.status(400).json({ error: 'json' });
    return;
  }
  const id = req.get('x-webhook-id') || randomUUID();
  const duplicate = seen.has(id);
  if (!duplicate) {
    seen.add(id);
    history.push({ id, type: req.get('x-webhook-event'), receivedAt: new Date().toISOString(), payload });
    if (history.length > HISTORY_LIMIT) history.shift();
  }
  res.status(200).json({ received: true, id, duplicate });
});
const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
