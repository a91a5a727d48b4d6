'use strict';
// The framework's floor: the same Express version, one POST route that reads the raw body and answers 200.
const express = require('express');
const bodyParser = require('body-parser');

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.post('/webhook/receive', bodyParser.raw({ type: () => true, limit: 1024 * 1024 }), (req, res) => {
  res.status(200).json({ received: true, size: req.body.length });
});
const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
