'use strict';
// Deliveries per second with STORE=postgres, one instance and two on one database (issue 14), and the check the
// end-to-end test makes at 1,000 (tests/e2e/postgres-outbox.test.ts) made here at 5,000: each delivered exactly
// once. Each round starts the instances on a fresh database, then inserts DELIVERIES deliveries due now straight
// into the outbox table in one statement (so the figure is the outbox's: claims, attempts, outcomes, not the
// send route) and times them until a local sink (in this process) has answered 200 to each. Rounds alternate
// the order; medians. Run after `npm run build`: node bench/deliveries-postgres.js.
// Options: DELIVERIES (5000), BENCH_ROUNDS (3).
const { createServer } = require('node:http');
const { Pool } = require('pg');
const { startProcess, median } = require('./lib');
const { startPostgres, stopPostgres } = require('../scripts/postgres-server');
const { migrate } = require('../dist/storage/postgres/migrations');

const DELIVERIES = Number(process.env.DELIVERIES || 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SECRET = 'bench-secret-0123456789abcdef';
const runId = Date.now().toString(36);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function startSink() {
  const hits = new Map();
  let last = 0;
  let first = 0;
  const server = createServer((req, res) => {
    const id = String(req.headers['x-webhook-id']);
    hits.set(id, (hits.get(id) ?? 0) + 1);
    last = Date.now();
    first ||= last;
    req.resume();
    res.end('ok');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/hook`,
        hits,
        times: () => ({ first, last }),
        reset() {
          hits.clear();
          first = 0;
          last = 0;
        },
        close: () => new Promise((r) => server.close(r)),
      }),
    ),
  );
}

async function round(pg, sink, instances, n) {
  const name = `bench_${runId}_${n}`;
  const admin = new Pool({ connectionString: pg.url, max: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = Object.assign(new URL(pg.url), { pathname: `/${name}` }).toString();
  const pool = new Pool({ connectionString: url, max: 1 });
  await migrate(pool);
  const env = { NODE_ENV: 'production', LOG_LEVEL: 'warn', WEBHOOK_SECRET: SECRET, HOST: '127.0.0.1', STORE: 'postgres', DATABASE_URL: url, DELIVERY_LIMIT: '1000000' };
  const servers = [];
  try {
    for (let i = 0; i < instances; i += 1) servers.push(await startProcess({ script: 'dist/server.js', env, probePath: '/healthz' }));
    sink.reset();
    const now = Date.now();
    const created = new Date(now).toISOString();
    const template = JSON.stringify({
      id: 'dlv___N__', eventId: 'evt___N__', url: sink.url, eventType: 'bench.event', scheme: 'native', source: { kind: 'send' },
      status: 'pending', createdAt: created, updatedAt: created, maxAttempts: 5, timeoutMs: 10_000, attempts: [], nextAttemptAt: created, error: null,
    });
    const inserted = Date.now();
    await pool.query(
      `INSERT INTO deliveries (id, status, record, body, sign_all, timeout_ms, due_ms)
       SELECT 'dlv_' || g, 'pending', replace($1, '__N__', g::text), convert_to('{"n":' || g || '}', 'UTF8'), false, 10000, $2::bigint
       FROM generate_series(1, $3::int) AS g`,
      [template, now, DELIVERIES],
    );
    const deadline = Date.now() + 300_000;
    while (sink.hits.size < DELIVERIES) {
      if (Date.now() > deadline) throw new Error(`only ${sink.hits.size} of ${DELIVERIES} delivered in 300 s`);
      await sleep(50);
    }
    // Every outcome recorded: nothing pending left in the table.
    for (;;) {
      const { rows } = await pool.query("SELECT COUNT(*)::int AS n FROM deliveries WHERE status = 'pending'");
      if (rows[0].n === 0) break;
      await sleep(50);
    }
    const recorded = Date.now();
    await sleep(500); // a second delivery of any of them would show now
    const twice = [...sink.hits.values()].filter((count) => count !== 1).length;
    const { first, last } = sink.times();
    return {
      rate: DELIVERIES / ((last - first) / 1000),
      rateFromInsert: DELIVERIES / ((recorded - inserted) / 1000),
      twice,
    };
  } finally {
    await pool.end();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function main() {
  const pg = await startPostgres();
  const sink = await startSink();
  const samples = { 'one instance': [], 'two instances': [] };
  let n = 0;
  try {
    for (let r = 0; r < ROUNDS; r += 1) {
      const order = r % 2 ? ['two instances', 'one instance'] : ['one instance', 'two instances'];
      for (const name of order) {
        const sample = await round(pg, sink, name === 'one instance' ? 1 : 2, (n += 1));
        console.log(`round ${r + 1}, ${name}: ${Math.round(sample.rate)} deliveries/s (first to last request), ${Math.round(sample.rateFromInsert)}/s insert to last outcome, delivered more than once: ${sample.twice}`);
        samples[name].push(sample);
      }
    }
  } finally {
    await sink.close();
    stopPostgres(pg.dataDir, pg.binDir);
  }
  console.log(`\n${DELIVERIES} deliveries due at once in the outbox, sink answering 200, SEND_CONCURRENCY 50 per instance, ${ROUNDS} rounds, medians`);
  console.table(
    Object.fromEntries(
      Object.entries(samples).map(([name, list]) => [
        name,
        {
          'deliveries/s': Math.round(median(list.map((s) => s.rate))),
          'insert to last outcome /s': Math.round(median(list.map((s) => s.rateFromInsert))),
          'delivered more than once': list.reduce((a, s) => a + s.twice, 0),
        },
      ]),
    ),
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
