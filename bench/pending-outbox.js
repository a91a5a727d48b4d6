'use strict';
// Memory of one instance whose outbox holds 1,000,000 deliveries waiting for a retry (issue 14: flat, under
// 150 MB RSS), with STORE=postgres and STORE=sqlite. The rows are inserted straight into the database in
// batches (each a pending delivery with one failed attempt recorded, its retry due in an hour), then the server
// starts on it and its RSS is sampled for BENCH_SECONDS while it resumes the outbox, polls it and serves
// /healthz (which counts it); a baseline run on an empty database gives the same figures beside it.
// Run after `npm run build`: node bench/pending-outbox.js. Options: PENDING (1000000), BENCH_SECONDS (20),
// BENCH_ONLY=postgres|sqlite.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Pool } = require('pg');
const { startProcess, mb } = require('./lib');
const { startPostgres, stopPostgres } = require('../scripts/postgres-server');
const { migrate } = require('../dist/storage/postgres/migrations');
const { openSqliteDatabase } = require('../dist/storage/sqlite/database');

const PENDING = Number(process.env.PENDING || 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS || 20);
const ONLY = process.env.BENCH_ONLY;
const BATCH = 20_000;
const SECRET = 'bench-secret-0123456789abcdef';
const BODY = Buffer.from(JSON.stringify({ filler: 'x'.repeat(500) }));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A record waiting for its second attempt, as the sender writes it; `__N__` is replaced per row. */
function recordTemplate(dueMs) {
  const created = new Date(dueMs - 3_600_000).toISOString();
  return JSON.stringify({
    id: 'dlv_bench___N__',
    eventId: 'evt_bench___N__',
    url: 'http://127.0.0.1:9/unused',
    eventType: 'bench.event',
    scheme: 'native',
    source: { kind: 'send' },
    status: 'pending',
    createdAt: created,
    updatedAt: created,
    maxAttempts: 5,
    timeoutMs: 10_000,
    attempts: [{ number: 1, series: 1, startedAt: created, durationMs: 3, statusCode: 503, responseBody: 'busy' }],
    nextAttemptAt: new Date(dueMs).toISOString(),
    error: null,
  });
}

async function fillPostgres(url, count, dueMs) {
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    await migrate(pool);
    const template = recordTemplate(dueMs);
    for (let from = 0; from < count; from += BATCH) {
      await pool.query(
        `INSERT INTO deliveries (id, status, record, body, sign_all, timeout_ms, due_ms)
         SELECT 'dlv_bench_' || g, 'pending', replace($1, '__N__', g::text), $2, false, 10000, $3::bigint + g
         FROM generate_series($4::int, $5::int) AS g`,
        [template, BODY, dueMs, from, Math.min(count, from + BATCH) - 1],
      );
    }
    await pool.query('VACUUM ANALYZE deliveries');
  } finally {
    await pool.end();
  }
}

function fillSqlite(file, count, dueMs) {
  const db = openSqliteDatabase(file);
  try {
    const template = recordTemplate(dueMs);
    const insert = db.prepare(
      "INSERT INTO deliveries (id, status, record, body, sign_all, due_ms) VALUES (?, 'pending', ?, ?, 0, ?)",
    );
    for (let from = 0; from < count; from += BATCH) {
      db.transaction(() => {
        for (let n = from; n < Math.min(count, from + BATCH); n += 1) insert.run(`dlv_bench_${n}`, template.replaceAll('__N__', String(n)), BODY, dueMs + n);
      })();
    }
  } finally {
    db.close();
  }
}

/** Starts the server on the filled database and samples its RSS every 500 ms for SECONDS. */
async function measure(env) {
  const started = Date.now();
  const server = await startProcess({
    script: 'dist/server.js',
    env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', WEBHOOK_SECRET: SECRET, HOST: '127.0.0.1', ...env },
    probePath: '/healthz',
  });
  const startMs = Date.now() - started;
  const samples = [];
  try {
    const health = await (await fetch(`${server.url}/healthz`)).json();
    for (let t = 0; t < SECONDS * 2; t += 1) {
      samples.push(server.rssBytes());
      if (t % 4 === 0) await fetch(`${server.url}/healthz`).then((r) => r.arrayBuffer());
      await sleep(500);
    }
    const first = samples[0];
    const last = samples[samples.length - 1];
    return { 'start ms': startMs, 'pending (healthz)': health.deliveries?.pending, 'RSS first MB': mb(first), 'RSS peak MB': mb(Math.max(...samples)), 'RSS last MB': mb(last) };
  } finally {
    await server.stop();
  }
}

async function main() {
  const dueMs = Date.now() + 3_600_000;
  const rows = {};
  if (ONLY !== 'sqlite') {
    const pg = await startPostgres();
    try {
      const pool = new Pool({ connectionString: pg.url, max: 1 });
      await pool.query('CREATE DATABASE bench_empty');
      await pool.query('CREATE DATABASE bench_full');
      await pool.end();
      const at = (name) => Object.assign(new URL(pg.url), { pathname: `/${name}` }).toString();
      await fillPostgres(at('bench_empty'), 0, dueMs);
      const t0 = Date.now();
      await fillPostgres(at('bench_full'), PENDING, dueMs);
      console.log(`postgres: ${PENDING} rows inserted in ${Math.round((Date.now() - t0) / 1000)} s`);
      rows['postgres, empty'] = await measure({ STORE: 'postgres', DATABASE_URL: at('bench_empty') });
      rows[`postgres, ${PENDING} waiting`] = await measure({ STORE: 'postgres', DATABASE_URL: at('bench_full') });
    } finally {
      stopPostgres(pg.dataDir, pg.binDir);
    }
  }
  if (ONLY !== 'postgres') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-pending-'));
    try {
      fillSqlite(path.join(dir, 'empty.db'), 0, dueMs);
      const t0 = Date.now();
      fillSqlite(path.join(dir, 'full.db'), PENDING, dueMs);
      console.log(`sqlite: ${PENDING} rows inserted in ${Math.round((Date.now() - t0) / 1000)} s`);
      rows['sqlite, empty'] = await measure({ STORE: 'sqlite', SQLITE_PATH: path.join(dir, 'empty.db') });
      rows[`sqlite, ${PENDING} waiting`] = await measure({ STORE: 'sqlite', SQLITE_PATH: path.join(dir, 'full.db') });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\none instance, deliveries waiting for a retry due in an hour; RSS sampled every 500 ms for ${SECONDS} s after start`);
  console.table(rows);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
