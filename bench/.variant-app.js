'use strict';
const { createServer } = require('node:http');
const { loadConfig } = require('../dist/config');
const { createDeps } = require('../dist/deps');
const { createApp } = require('../dist/app');
const { createLogger } = require('../dist/logger');
const { noMetrics } = require('../dist/metrics/metrics');
const { Registry } = require('prom-client');
const v = new Set((process.env.VARIANT || '').split(',').filter(Boolean));
const config = loadConfig(process.env);
const logger = createLogger(v.has('silent') ? 'silent' : config.logLevel);
const overrides = {};
if (v.has('noproc')) overrides.processor = { enqueue() {}, pending: () => 0, onIdle: async () => {} };
if (v.has('nometrics')) overrides.metrics = { ...noMetrics, registry: new Registry() };
const deps = createDeps(config, logger, overrides);
let app = createApp(deps);
if (v.has('onlyreceive')) {
  const express = require('express');
  const { receiveRouter } = require('../dist/routes/receive');
  app = express(); app.disable('x-powered-by'); app.set('etag', false);
  app.use(receiveRouter(deps));
}
const server = createServer(app).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
