'use strict';
// node bench/intake-ab.js [otherDist] [thisDist]: the CPU one webhook costs the receive path below HTTP
// (`intake.receive`: verify, parse, the history entry, the dedupe keys, the raw body, the log line, the
// metrics; STORE=memory, LOG_LEVEL=info into a sink), for two builds in one process, alternating trials of
// 3,000 signed 1 KB native webhooks with unique ids. process.cpuUsage per webhook, so time spent descheduled
// does not count: on a shared machine this resolves changes of a microsecond, which profile-receive (the
// whole server, HTTP included) does not. Prints the least and the median trial of each build.
// Both arguments are `dist` folders (`npm run build`); one way to get the other build:
//   mkdir /tmp/before && git archive <commit> | tar -x -C /tmp/before
//   ln -s "$PWD/node_modules" /tmp/before/node_modules && (cd /tmp/before && npm run build)
//   node bench/intake-ab.js /tmp/before/dist
// Options (environment): TRIALS (30), STORE (memory; sqlite writes to a temporary file and measures its
// group commit one webhook at a time, which is not the receive load).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TRIALS = Number(process.env.TRIALS || 30);
const PER_TRIAL = 3000;
const SECRET = 'bench-secret-0123456789abcdef';
const FILLER = 'x'.repeat(1024 - 120);

function setup(distDir) {
  const dist = path.resolve(distDir);
  const { loadConfig } = require(path.join(dist, 'config'));
  const { createDeps } = require(path.join(dist, 'deps'));
  const { createIntake } = require(path.join(dist, 'intake/intake'));
  const { createLogger } = require(path.join(dist, 'logger'));
  const { signNative } = require(path.join(dist, 'signature/native'));
  const sqlitePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'intake-ab-')), 'db.sqlite');
  const config = loadConfig({ NODE_ENV: 'production', WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'info', STORE: process.env.STORE || 'memory', SQLITE_PATH: sqlitePath });
  const intake = createIntake(createDeps(config, createLogger('info', { write: () => true })));
  let n = 0;
  const webhook = () => {
    n += 1;
    const id = `evt_ab_${n}`;
    const body = Buffer.from(JSON.stringify({ id, type: 'bench.event', data: { n, filler: FILLER } }));
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      host: '127.0.0.1:3005',
      connection: 'keep-alive',
      'content-length': String(body.length),
      'content-type': 'application/json',
      'x-webhook-id': id,
      'x-webhook-event': 'bench.event',
      'x-webhook-timestamp': String(ts),
      'x-webhook-signature': signNative(SECRET, ts, body),
    };
    return [headers, body];
  };
  return async () => {
    const webhooks = Array.from({ length: PER_TRIAL }, webhook);
    const start = process.cpuUsage();
    for (const [headers, body] of webhooks) await intake.receive(headers, body, () => undefined);
    const used = process.cpuUsage(start);
    return (used.user + used.system) / PER_TRIAL;
  };
}

async function main() {
  const [other, self] = [process.argv[2], process.argv[3] || path.join(__dirname, '..', 'dist')];
  const builds = other ? [[other, setup(other)], [self, setup(self)]] : [[self, setup(self)]];
  const results = builds.map(() => []);
  for (let trial = 0; trial < TRIALS; trial += 1) {
    for (const [i, [, run]] of builds.entries()) results[i].push(await run());
  }
  for (const [i, [dir]] of builds.entries()) {
    const sorted = results[i].sort((a, b) => a - b);
    console.log(`${dir}: least ${sorted[0].toFixed(2)} µs, median ${sorted[sorted.length >> 1].toFixed(2)} µs of CPU per webhook (${TRIALS} trials)`);
  }
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
