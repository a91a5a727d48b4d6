'use strict';
const express = require('express');
const bodyParser = require('body-parser');
const { securityHeaders } = require('../dist/middleware/security-headers');
const { HELMET_OPTIONS } = require('../dist/app');
const app = express();
app.disable('x-powered-by');
app.set('etag', false);
if (process.env.HELMET) app.use(securityHeaders(HELMET_OPTIONS));
app.post('/webhook/receive', bodyParser.raw({ type: () => true, limit: 1024 * 1024 }), (req, res) => {
  res.status(200).json({ received: true, size: req.body.length });
});
const server = app.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
