'use strict';
// Receive with STORE=postgres beside STORE=memory, in the same run (issue 14): signed 1 KB native webhooks,
// 50 connections, rounds alternating the order, medians. Starts its own throwaway PostgreSQL
// (scripts/postgres-server.js) and a fresh database per run. Also two instances on one database, each taking
// half the connections (their sum is the figure: what one database serves).
// Run after `npm run build`: node bench/receive-postgres.js. Options: BENCH_ROUNDS (3), BENCH_SECONDS (5),
// BENCH_PG_TWO=0 leaves out the two-instance target, BENCH_JSON=1 prints the medians as a last line of JSON
// (what `npm run bench` reads).
const { Client } = require('pg');
const { startProcess, cannon, median, nativeRequests } = require('./lib');
const { signNative } = require('../dist/signature/native');
const { startPostgres, stopPostgres } = require('../scripts/postgres-server');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const CONNECTIONS = 50;
const SECRET = 'bench-secret-of-at-least-16-bytes';
const runId = Date.now().toString(36);
const signedRequest = nativeRequests({ secret: SECRET, signNative, idPrefix: `evt_${runId}` });

const requests = [{ setupRequest: (req) => ({ ...req, ...signedRequest() }) }];

const appEnv = (extra = {}) => ({ NODE_ENV: 'production', LOG_LEVEL: 'warn', WEBHOOK_SECRET: SECRET, HOST: '127.0.0.1', ...extra });

async function freshDatabase(adminUrl, n) {
  const name = `bench_${runId}_${n}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function measure(instances) {
  try {
    const half = Math.max(1, Math.floor(CONNECTIONS / instances.length));
    await Promise.all(instances.map((t) => cannon({ url: t.url, connections: half, duration: 1, requests })));
    const results = await Promise.all(instances.map((t) => cannon({ url: t.url, connections: half, duration: SECONDS, requests })));
    return {
      rps: results.reduce((a, r) => a + r.requests.average, 0),
      p99: Math.max(...results.map((r) => r.latency.p99)),
      errors: results.reduce((a, r) => a + r.non2xx + r.errors, 0),
    };
  } finally {
    await Promise.all(instances.map((t) => t.stop()));
  }
}

async function main() {
  const pg = await startPostgres();
  let databases = 0;
  const targets = {
    'app (memory)': async () => [await startProcess({ script: 'dist/server.js', env: appEnv(), probePath: '/healthz' })],
    'app (postgres)': async () => {
      const env = appEnv({ STORE: 'postgres', DATABASE_URL: await freshDatabase(pg.url, (databases += 1)) });
      return [await startProcess({ script: 'dist/server.js', env, probePath: '/healthz' })];
    },
    ...(process.env.BENCH_PG_TWO === '0' ? {} : { 'app (postgres) x 2 instances': async () => {
      const env = appEnv({ STORE: 'postgres', DATABASE_URL: await freshDatabase(pg.url, (databases += 1)) });
      const first = await startProcess({ script: 'dist/server.js', env, probePath: '/healthz' });
      return [first, await startProcess({ script: 'dist/server.js', env, probePath: '/healthz' })];
    } }),
  };
  const samples = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = Object.keys(targets);
      if (round % 2) order.reverse();
      for (const name of order) samples[name].push(await measure(await targets[name]()));
    }
  } finally {
    stopPostgres(pg.dataDir, pg.binDir);
  }
  const summary = Object.fromEntries(
    Object.entries(samples).map(([k, list]) => [
      k,
      { 'req/s': Math.round(median(list.map((s) => s.rps))), 'p99 ms': median(list.map((s) => s.p99)), 'non-2xx/errors': list.reduce((a, s) => a + s.errors, 0) },
    ]),
  );
  console.log(`\nreceive: signed 1 KB native, ${CONNECTIONS} connections, ${ROUNDS} rounds x ${SECONDS} s, medians`);
  console.table(summary);
  const memory = summary['app (memory)']['req/s'];
  console.log(`  app (postgres) / app (memory): ${(summary['app (postgres)']['req/s'] / memory).toFixed(2)} x req/s`);
  const two = summary['app (postgres) x 2 instances'];
  if (two) console.log(`  app (postgres) x 2 / app (memory): ${(two['req/s'] / memory).toFixed(2)} x req/s (same 2 cores)`);
  if (process.env.BENCH_JSON === '1') {
    const ratio = (name) => (summary[name] ? Number((summary[name]['req/s'] / memory).toFixed(3)) : null);
    console.log(JSON.stringify({ summary, postgresVsMemory: ratio('app (postgres)'), twoInstancesVsMemory: ratio('app (postgres) x 2 instances') }));
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
