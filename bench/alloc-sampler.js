'use strict';
// Preloaded (`node -r`) into a server by bench/alloc-receive.js: samples every allocation, kept or collected, for
// ALLOC_SAMPLE_MS from ALLOC_SAMPLE_AFTER_MS after start-up, counts the HTTP requests the server saw meanwhile,
// and writes both to ALLOC_SAMPLE_OUT. Allocations are what the garbage collector is paid for, and unlike CPU time
// they do not change with the machine's load.
const fs = require('node:fs');
const http = require('node:http');
const inspector = require('node:inspector');

let sampling = false;
let requests = 0;
// Counted on the server itself (every server the process creates), so the window and the count agree.
const createServer = http.createServer;
http.createServer = function countingCreateServer(...args) {
  const server = createServer.apply(this, args);
  server.on('request', () => {
    if (sampling) requests += 1;
  });
  return server;
};

const session = new inspector.Session();
session.connect();
setTimeout(() => {
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', {
    samplingInterval: Number(process.env.ALLOC_SAMPLE_INTERVAL || 2048),
    // Without these, V8 reports only the sampled objects still alive at the end: not the garbage.
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  sampling = true;
  setTimeout(() => {
    sampling = false;
    session.post('HeapProfiler.stopSampling', (error, result) => {
      fs.writeFileSync(process.env.ALLOC_SAMPLE_OUT, JSON.stringify(error ? { error: error.message } : { requests, profile: result.profile }));
    });
  }, Number(process.env.ALLOC_SAMPLE_MS || 5000)).unref();
}, Number(process.env.ALLOC_SAMPLE_AFTER_MS || 3000)).unref();
