'use strict';
// npm run bench: every scenario against its baselines in the same run, alternating, several rounds, medians.
// Writes bench/results/latest.json. Bounded: about three to four minutes with the defaults.
// Options (environment): BENCH_ROUNDS (3), BENCH_SECONDS (5), NODE24=/path/to/node to repeat the receive
// scenario on another Node binary, BENCH_ONLY=receive,history,send,memory to run a subset.
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const { ROOT, startProcess, cannon, median, mb } = require('./lib');
const { signNative } = require('../dist/signature/native');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const CONNECTIONS = 50;
const SECRET = 'bench-secret';
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
const wants = (name) => !ONLY || ONLY.has(name);

const FILLER = 'x'.repeat(1024 - 120);
let counter = 0;
const runId = Date.now().toString(36);

/** A signed 1 KB native-scheme request with a unique id, made fresh for every request autocannon sends. */
function signedRequest(eventType = 'bench.event') {
  counter += 1;
  const id = `evt_${runId}_${counter}`;
  const body = JSON.stringify({ id, type: eventType, data: { n: counter, filler: FILLER } });
  const ts = Math.floor(Date.now() / 1000);
  return {
    method: 'POST',
    path: '/webhook/receive',
    headers: {
      'content-type': 'application/json',
      'x-webhook-id': id,
      'x-webhook-event': eventType,
      'x-webhook-timestamp': String(ts),
      'x-webhook-signature': signNative(SECRET, ts, body),
    },
    body,
  };
}

const receiveRequests = (types) => [
  {
    setupRequest: (req) => ({ ...req, ...signedRequest(types ? types[counter % types.length] : undefined) }),
  },
];

const appEnv = (extra = {}) => ({
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  WEBHOOK_SECRET: SECRET,
  HOST: '127.0.0.1',
  ...extra,
});

const sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-bench-'));
let sqliteRuns = 0;

const TARGETS = {
  app: { script: 'dist/server.js', env: appEnv(), probePath: '/healthz' },
  // A fresh database file for every run, so that no run starts on another's data.
  'app (sqlite)': {
    script: 'dist/server.js',
    get env() {
      sqliteRuns += 1;
      return appEnv({ STORE: 'sqlite', SQLITE_PATH: path.join(sqliteDir, `run-${sqliteRuns}.db`) });
    },
    probePath: '/healthz',
  },
  'express floor': { script: 'bench/baselines/express-floor.js', env: {}, probePath: '/' },
  'node:http floor': { script: 'bench/baselines/http-floor.js', env: { WEBHOOK_SECRET: SECRET }, probePath: '/' },
};

async function receiveScenario(node, label) {
  // better-sqlite3 is a native addon built for the Node that ran `npm ci`: another Node cannot load it.
  const names = Object.keys(TARGETS).filter((name) => node === process.execPath || name !== 'app (sqlite)');
  const samples = Object.fromEntries(names.map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    // Alternate the order so that no target always runs on a warmer or cooler machine.
    const order = [...names];
    if (round % 2) order.reverse();
    for (const name of order) {
      const target = await startProcess({ script: TARGETS[name].script, env: TARGETS[name].env, probePath: TARGETS[name].probePath, node });
      try {
        await cannon({ url: target.url, connections: CONNECTIONS, duration: 1, requests: receiveRequests() }); // warm-up
        const cpuBefore = target.cpuSeconds();
        const r = await cannon({ url: target.url, connections: CONNECTIONS, duration: SECONDS, requests: receiveRequests() });
        const cpuUs = ((target.cpuSeconds() - cpuBefore) * 1e6) / Math.max(1, r.requests.total);
        samples[name].push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpuUs, errors: r.non2xx + r.errors });
      } finally {
        await target.stop();
      }
    }
  }
  const summary = {};
  for (const [name, list] of Object.entries(samples)) {
    summary[name] = {
      rps: median(list.map((s) => s.rps)),
      p50Ms: median(list.map((s) => s.p50)),
      p99Ms: median(list.map((s) => s.p99)),
      cpuUsPerRequest: median(list.map((s) => s.cpuUs)),
      errors: list.reduce((a, s) => a + s.errors, 0),
    };
  }
  const app = summary.app;
  const ratios = {
    rpsVsExpress: app.rps / summary['express floor'].rps,
    rpsVsHttp: app.rps / summary['node:http floor'].rps,
    p99VsExpress: app.p99Ms / summary['express floor'].p99Ms,
    cpuVsExpress: app.cpuUsPerRequest / summary['express floor'].cpuUsPerRequest,
    sqliteVsMemory: summary['app (sqlite)'] ? summary['app (sqlite)'].rps / app.rps : null,
  };
  console.log(`\nreceive (${label}): signed 1 KB native, ${CONNECTIONS} connections, ${ROUNDS} rounds x ${SECONDS} s, medians`);
  console.table(
    Object.fromEntries(
      Object.entries(summary).map(([k, v]) => [
        k,
        { 'req/s': Math.round(v.rps), 'p50 ms': v.p50Ms, 'p99 ms': v.p99Ms, 'CPU µs/req': Math.round(v.cpuUsPerRequest), 'non-2xx/errors': v.errors },
      ]),
    ),
  );
  console.log(
    `  app / express floor: ${(ratios.rpsVsExpress * 100).toFixed(1)} % req/s (target >= 85 %), p99 ${ratios.p99VsExpress.toFixed(2)} x (target < 2 x)`,
  );
  console.log(`  app / node:http floor: ${(ratios.rpsVsHttp * 100).toFixed(1)} % req/s`);
  console.log(`  server CPU per request, app / express floor: ${ratios.cpuVsExpress.toFixed(2)} x (steadier than req/s on a shared machine)`);
  if (ratios.sqliteVsMemory !== null) console.log(`  app (sqlite) / app (memory): ${ratios.sqliteVsMemory.toFixed(2)} x req/s (target >= 0.7 x)`);
  return { node: label, summary, ratios };
}

async function historyScenario() {
  const types = Array.from({ length: 10 }, (_, i) => `type.${i}`);
  const result = {};
  for (const size of [1000, 10000]) {
    const target = await startProcess({ ...TARGETS.app, env: appEnv({ HISTORY_LIMIT: String(size), LOG_LEVEL: 'warn' }) });
    try {
      await cannon({ url: target.url, connections: 20, amount: size, requests: receiveRequests(types) });
      const filled = await (await fetch(`${target.url}/webhook/history?limit=1`)).json();
      const samples = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const r = await cannon({ url: `${target.url}/webhook/history?limit=50&event=type.3`, connections: 10, duration: 2 });
        samples.push(r);
      }
      result[size] = {
        rps: median(samples.map((r) => r.requests.average)),
        p50Ms: median(samples.map((r) => r.latency.p50)),
        p99Ms: median(samples.map((r) => r.latency.p99)),
        newest: filled.items.length,
      };
    } finally {
      await target.stop();
    }
  }
  const ratio = result[10000].p50Ms / Math.max(result[1000].p50Ms, 0.001);
  console.log('\nhistory: GET /webhook/history?limit=50&event=type.3 on a full store (10 event types)');
  console.table({ '1,000 entries': result[1000], '10,000 entries': result[10000] });
  console.log(`  p50 at 10,000 / p50 at 1,000: ${ratio.toFixed(2)} x (target: flat, ~1 x); req/s ratio ${(result[10000].rps / result[1000].rps).toFixed(2)}`);
  return { result, p50Ratio: ratio };
}

async function sendScenario() {
  const { spawnSync } = require('node:child_process');
  const out = spawnSync(process.execPath, [path.join(__dirname, 'send.js')], {
    cwd: ROOT,
    env: { ...process.env, BENCH_ROUNDS: String(ROUNDS) },
    encoding: 'utf8',
    timeout: 150_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (out.status !== 0) throw new Error(`bench/send.js failed: ${out.stderr || out.error}`);
  const result = JSON.parse(out.stdout.trim().split('\n').pop());
  console.log(`\nsend: ${result.deliveries} deliveries to a local sink answering 200, concurrency ${result.concurrency}, ${ROUNDS} rounds, medians`);
  console.table({
    'bare native fetch': { 'deliveries/s': Math.round(result.bareRps) },
    "bare undici fetch (the sender's)": { 'deliveries/s': Math.round(result.bareUndiciRps) },
    sender: { 'deliveries/s': Math.round(result.senderRps) },
  });
  console.log(`  sender / bare native fetch: ${(result.ratio * 100).toFixed(1)} % (target >= 90 %)`);
  console.log(`  sender / bare undici fetch, the same client without the sender: ${(result.ratioUndici * 100).toFixed(1)} %`);
  console.log(
    `  ${result.pending.count} deliveries pending a retry: +${mb(result.pending.rssDeltaBytes)} MB RSS, +${mb(result.pending.heapDeltaBytes)} MB heap (${Math.round(result.pending.heapDeltaBytes / result.pending.count)} B each), peak RSS ${mb(result.pending.peakRssBytes)} MB`,
  );
  return result;
}

async function memoryScenario() {
  const total = 200_000;
  const step = 50_000;
  const target = await startProcess({ ...TARGETS.app, env: appEnv({ LOG_LEVEL: 'warn' }) });
  const samples = [{ received: 0, rssMb: mb(target.rssBytes()) }];
  try {
    for (let sent = step; sent <= total; sent += step) {
      await cannon({ url: target.url, connections: CONNECTIONS, amount: step, requests: receiveRequests() });
      samples.push({ received: sent, rssMb: mb(target.rssBytes()) });
    }
  } finally {
    await target.stop();
  }
  const growth = samples[samples.length - 1].rssMb / samples[2].rssMb;
  console.log(`\nmemory: resident memory of the app while receiving ${total.toLocaleString()} webhooks (HISTORY_LIMIT=1000)`);
  console.table(samples);
  console.log(`  RSS at 200k / RSS at 100k: ${growth.toFixed(2)} x (target: flat, ~1 x)`);
  return { samples, growthSecondHalf: growth };
}

async function main() {
  const started = Date.now();
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
  console.log(`webhook-server bench on ${machine.cpus} x ${machine.cpu}, ${machine.memGb} GB, Node ${machine.node}`);
  const results = { date: new Date().toISOString(), machine, rounds: ROUNDS, seconds: SECONDS };
  if (wants('receive')) {
    results.receive = [await receiveScenario(process.execPath, process.version)];
    if (process.env.NODE24) {
      const version = require('node:child_process').execFileSync(process.env.NODE24, ['--version'], { encoding: 'utf8' }).trim();
      results.receive.push(await receiveScenario(process.env.NODE24, version));
    }
  }
  if (wants('history')) results.history = await historyScenario();
  if (wants('send')) results.send = await sendScenario();
  if (wants('memory')) results.memory = await memoryScenario();
  results.seconds = Math.round((Date.now() - started) / 1000);
  fs.rmSync(sqliteDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\ndone in ${results.seconds} s; written to bench/results/latest.json`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
