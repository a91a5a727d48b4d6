'use strict';
// A receiver that reads the body and answers 200: the sender scenario's destination.
const http = require('node:http');

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
