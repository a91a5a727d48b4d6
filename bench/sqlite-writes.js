'use strict';
// node bench/sqlite-writes.js (after npm run build): the SQLite work of the receive path without HTTP, so that
// the write volume and the event-loop cost per webhook can be read on a noisy machine. Runs the stores of
// `createStorage` as the receive route does: each "turn" writes BATCH webhooks (entry + two dedupe keys, each a
// unit of the group commit) and the processing outcomes of the previous turn (joined), then commits.
// Prints WAL pages appended per webhook (automatic checkpoints off while measuring) and µs per webhook.
// Options (environment): BATCH (23), WARM (20000), MEASURE (10000) webhooks; BREAKDOWN=1 pages per b-tree;
// ENV='{"HISTORY_LIMIT":"1000000"}' configuration; PRAGMAS='cache_size=-32000' settings to try; CHECKPOINTS=1.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { loadConfig } = require('../dist/config');
const { createStorage } = require('../dist/storage/create-storage');

const BATCH = Number(process.env.BATCH || 23);
const WARM = Number(process.env.WARM || 20000);
const MEASURE = Number(process.env.MEASURE || 10000);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-writes-'));
const file = path.join(dir, 'webhooks.db');
const config = loadConfig({ WEBHOOK_SECRET: 'bench-secret-0123456789abcdef', LOG_LEVEL: 'silent', STORE: 'sqlite', SQLITE_PATH: file, ...JSON.parse(process.env.ENV || '{}') });
const storage = createStorage(config);
const db = storage.db;
// PRAGMAS="cache_size=-32000;mmap_size=0": settings to try on top of those of openSqliteDatabase.
for (const pragma of (process.env.PRAGMAS ?? '').split(';').filter(Boolean)) db.pragma(pragma);

const FILLER = 'x'.repeat(1024 - 120);
const runId = Date.now().toString(36);
let counter = 0;

function webhook() {
  counter += 1;
  const id = `evt_${runId}_${counter}`;
  const raw = JSON.stringify({ id, type: 'bench.event', data: { n: counter, filler: FILLER } });
  const receivedAt = new Date().toISOString();
  const entry = {
    id,
    receivedAt,
    eventType: 'bench.event',
    scheme: 'native',
    status: 'accepted',
    verification: { ok: true, reason: null },
    headers: {
      host: '127.0.0.1:3000',
      'content-type': 'application/json',
      'content-length': String(raw.length),
      'x-webhook-id': id,
      'x-webhook-event': 'bench.event',
      'x-webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      'x-webhook-signature': '[redacted]',
    },
    payload: JSON.parse(raw),
    sizeBytes: raw.length,
    duplicates: 0,
    processing: { state: 'pending' },
  };
  const keys = [`id:${id}`, `sig:v1,${randomBytes(32).toString('base64')}`];
  return { entry, raw: Buffer.from(raw), keys };
}

/** Time spent in each store method, per webhook (the statements it runs and the JSON it builds). */
const parts = {};
function timed(object, method, label) {
  const original = object[method].bind(object);
  parts[label] = 0n;
  object[method] = (...args) => {
    const t0 = process.hrtime.bigint();
    try {
      return original(...args);
    } finally {
      parts[label] += process.hrtime.bigint() - t0;
    }
  };
}
// The synchronous parts of history.accept (the receive path's one unit) and of setProcessing's unit.
timed(storage.history, 'insert', 'history.insert');
timed(storage.dedupe, 'find', 'dedupe.find');
timed(storage.dedupe, 'keep', 'dedupe.keep');

let unitNs = 0n;
let commitNs = 0n;
let processed = [];

async function turn(n) {
  const t0 = process.hrtime.bigint();
  const waits = [];
  for (const id of processed) waits.push(storage.history.setProcessing(id, { state: 'done', durationMs: 1 }));
  processed = [];
  for (let i = 0; i < n; i += 1) {
    const { entry, raw, keys } = webhook();
    // The receive path's unit: the duplicate check, the entry and its keys (see HistoryStore.accept).
    waits.push(
      storage.history.accept(entry, raw, keys, Date.now(), () => `evt_fresh_${entry.id}`).then((outcome) => {
        if (!outcome.stored) throw new Error('dup');
      }),
    );
    processed.push(entry.id);
  }
  const t1 = process.hrtime.bigint();
  await Promise.all(waits); // the group commit's setImmediate
  const t2 = process.hrtime.bigint();
  unitNs += t1 - t0;
  commitNs += t2 - t1;
}

function walPages() {
  const size = fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0;
  return Math.max(0, (size - 32) / (4096 + 24));
}

/** WAL frames per webhook by the b-tree their page belongs to (dbstat), read from the frame headers. */
function breakdown() {
  const wal = fs.readFileSync(`${file}-wal`);
  const owner = new Map(db.prepare('SELECT name, pageno FROM dbstat').all().map((r) => [r.pageno, r.name]));
  const counts = {};
  for (let at = 32; at + 24 <= wal.length; at += 4096 + 24) {
    const name = owner.get(wal.readUInt32BE(at)) ?? 'free/other';
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, +(v / MEASURE).toFixed(2)]));
}

async function main() {
  for (let done = 0; done < WARM; done += BATCH) await turn(BATCH);
  db.pragma('wal_checkpoint(TRUNCATE)');
  // CHECKPOINTS=1: leave the automatic checkpoints on, so that their cost shows in commitUsPerCommit (the WAL's
  // size then no longer counts the pages written).
  const autocheckpoint = db.pragma('wal_autocheckpoint', { simple: true });
  if (!process.env.CHECKPOINTS) db.pragma('wal_autocheckpoint = 0');
  unitNs = 0n;
  commitNs = 0n;
  for (const label of Object.keys(parts)) parts[label] = 0n;
  const commitsBefore = storage.commits;
  for (let done = 0; done < MEASURE; done += BATCH) await turn(BATCH);
  const pages = walPages();
  const commits = storage.commits - commitsBefore;
  const result = {
    batch: BATCH,
    webhooks: MEASURE,
    commits,
    walPagesPerWebhook: process.env.CHECKPOINTS ? `n/a (checkpoints every ${autocheckpoint} pages)` : +(pages / MEASURE).toFixed(2),
    sqliteUsPerWebhook: +(Number(unitNs) / 1000 / MEASURE).toFixed(1),
    commitUsPerCommit: +(Number(commitNs) / 1000 / commits).toFixed(0),
    fileMb: +(fs.statSync(file).size / 2 ** 20).toFixed(1),
    usPerWebhook: Object.fromEntries(Object.entries(parts).map(([label, ns]) => [label, +(Number(ns) / 1000 / MEASURE).toFixed(1)])),
  };
  console.log(JSON.stringify(result));
  if (process.env.BREAKDOWN) console.log(JSON.stringify(breakdown()));
  storage.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
