'use strict';
// Issue 13 item 4: memory held by 100,000 deliveries waiting for a retry (target: under 100 MB).
//
// What is measured, and why this way:
// - Deliveries are made through the real API path: the app of `npm start` (loadConfig -> createDeps ->
//   createApp, STORE=memory) listening on a local port, and `POST /webhook/send` over HTTP, so whatever the route,
//   the sender, the observed store, the feed and the metrics keep per delivery is counted.
// - Each delivery's first attempt goes to a local receiver answering 503 (a real response through the sender's
//   undici pool), so it then waits 10 minutes (SEND_BASE_DELAY_MS) for its retry, with one attempt on its record.
// - Counted: the JS heap (`heapUsed`: records, attempts, the store's index and due-time heap, the scheduler) plus
//   the bodies outside it (`arrayBuffers`: Buffer bytes), after a full GC, as the difference between before the
//   100,000 sends and after they are all waiting. 1,000 deliveries are sent first as a warm-up (compiled code,
//   pools, lazily built tables), so the figure is what each further waiting delivery costs.
// - The bodies: a realistic ~1 KB JSON event per delivery (ids, names, an address, line items), each different;
//   PENDING_BODY=random sends ~1 KB of random base64 instead, the worst case for the store's compression.
//
// Prints one JSON line on stdout; progress on stderr. `npm run build && node bench/pending-memory.js`.
// PENDING_VIA=sender calls the app's sender as the route does, without HTTP (about 3 x faster; the route keeps
// nothing once it has answered, and the two agree within a few bytes a delivery: docs/performance.md).
// PENDING (100000) deliveries; PENDING_SNAPSHOT=1 also writes heap snapshots before and after and prints where
// the bytes go per delivery (bench/heap-breakdown.js; use PENDING=10000 with it, snapshots are slow).
const http = require('node:http');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const { randomBytes, randomUUID } = require('node:crypto');
const pino = require('pino');
const { Pool } = require('undici');

const DIST = path.resolve(process.env.BENCH_DIST || path.join(__dirname, '..', 'dist'));
const { loadConfig } = require(path.join(DIST, 'config'));
const { createDeps } = require(path.join(DIST, 'deps'));
const { createApp } = require(path.join(DIST, 'app'));

// A full GC is what makes heapUsed mean "live": without it the figure counts garbage (about 3.4 KB a delivery
// here instead of 0.9 KB, which is what bench/send.js printed when it ran this without --expose-gc).
if (!global.gc) {
  v8.setFlagsFromString('--expose-gc');
  global.gc = vm.runInNewContext('gc');
}
const fullGc = async () => {
  for (let i = 0; i < 3; i += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    global.gc();
  }
};

const WARMUP = 1000;
const CONNECTIONS = 20;

/** A ~1 KB order event, different in each delivery: what a shop would send its integrations. */
function orderEvent(n) {
  const hex = (bytes) => randomBytes(bytes).toString('hex');
  return {
    id: `ord_${hex(12)}`,
    object: 'order',
    created: 1764650000 + n,
    livemode: false,
    status: 'paid',
    currency: 'eur',
    amount_total: 1000 + (n % 9000),
    customer: { id: `cus_${hex(8)}`, email: `customer${n}@example.com`, name: 'Ada Lovelace', phone: '+44 20 7946 0958' },
    shipping: {
      address: { line1: `${n % 300} Baker Street`, line2: null, city: 'London', postal_code: 'NW1 6XE', country: 'GB' },
      carrier: 'Royal Mail',
      tracking_number: hex(6).toUpperCase(),
    },
    items: [
      { sku: `SKU-${n % 1000}`, name: 'Analytical Engine, punched cards (pack of 100)', quantity: 1 + (n % 3), unit_amount: 450 },
      { sku: `SKU-${(n * 7) % 1000}`, name: 'Difference Engine No. 2, brass gear set', quantity: 1, unit_amount: 12900 },
    ],
    payment: { method: 'card', brand: 'visa', last4: String(1000 + (n % 9000)), captured_at: new Date(1764650000000 + n * 1000).toISOString() },
    metadata: { campaign: 'winter-2026', channel: 'web', session: randomUUID(), note: 'Leave the parcel with the neighbour at number 223 if nobody answers.' },
  };
}

const randomEvent = () => ({ data: randomBytes(750).toString('base64') });

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

async function pendingMemory({ count = 100_000, body = 'json', via = 'http', snapshot = false, log = () => undefined } = {}) {
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(503, { 'content-type': 'text/plain' }).end('busy'));
  });
  const receiverUrl = `${await listen(receiver)}/hook`;
  const config = loadConfig({
    NODE_ENV: 'production',
    STORE: 'memory',
    WEBHOOK_SECRET: 'bench-secret-0123456789abcdef',
    SEND_BASE_DELAY_MS: '600000',
    SEND_MAX_DELAY_MS: '600000',
    SEND_BLOCK_PRIVATE: 'false',
  });
  const deps = createDeps(config, pino({ level: 'silent' }));
  const server = http.createServer(createApp(deps));
  const appUrl = await listen(server);
  const client = new Pool(appUrl, { connections: CONNECTIONS });
  const makePayload = body === 'random' ? randomEvent : orderEvent;
  let made = 0;

  /** POSTs `n` sends, CONNECTIONS at a time, then waits until every delivery has been attempted once and waits. */
  async function sendAndWait(n) {
    const target = made + n;
    let bodyBytes = 0;
    const worker = async () => {
      while (made < target) {
        made += 1;
        const payload = makePayload(made);
        bodyBytes += Buffer.byteLength(JSON.stringify(payload));
        if (via === 'sender') {
          // What the route calls once it has parsed and checked the request (src/routes/send.ts).
          await deps.sender.send({ url: receiverUrl, eventType: 'order.paid', payload, scheme: 'native' });
          continue;
        }
        const request = JSON.stringify({ url: receiverUrl, eventType: 'order.paid', payload });
        const res = await client.request({ path: '/webhook/send', method: 'POST', headers: { 'content-type': 'application/json' }, body: request });
        await res.body.dump();
        if (res.statusCode !== 202) throw new Error(`POST /webhook/send answered ${res.statusCode}`);
        if (made % 20_000 === 0) log(`pending-memory: ${made.toLocaleString()} sent`);
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    // Waiting for its retry: pending, nothing in flight, and nothing due before the 10 minutes' backoff.
    for (;;) {
      const { pending } = await deps.deliveries.counts();
      const next = await deps.deliveries.nextDueMs();
      if (pending === target && deps.sender.active() === 0 && next !== null && next > Date.now() + 60_000) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return bodyBytes;
  }

  try {
    await sendAndWait(WARMUP);
    await fullGc();
    const before = process.memoryUsage();
    const snapshots = snapshot ? { before: v8.writeHeapSnapshot() } : undefined;
    const started = performance.now();
    const bodyBytes = await sendAndWait(count);
    const seconds = (performance.now() - started) / 1000;
    await client.close();
    await fullGc();
    const after = process.memoryUsage();
    if (snapshots) snapshots.after = v8.writeHeapSnapshot();
    // Every one of them is waiting with exactly one attempt (checked on a sample, through the store's API).
    const { items } = await deps.deliveries.list({ limit: 100, status: 'pending' });
    if (items.some((record) => record.attempts.length !== 1 || record.attempts[0].statusCode !== 503)) throw new Error('a delivery is not waiting after one 503');
    const heapDeltaBytes = after.heapUsed - before.heapUsed;
    const arrayBuffersDeltaBytes = after.arrayBuffers - before.arrayBuffers;
    const result = {
      count,
      body,
      via,
      bodyBytesEach: Math.round(bodyBytes / count),
      seconds: Math.round(seconds * 10) / 10,
      heapDeltaBytes,
      arrayBuffersDeltaBytes,
      rssDeltaBytes: after.rss - before.rss,
      heapBytesEach: Math.round(heapDeltaBytes / count),
      arrayBuffersBytesEach: Math.round(arrayBuffersDeltaBytes / count),
      // The figure issue 13 asks about: everything a waiting delivery holds, bodies included.
      bytesEach: Math.round((heapDeltaBytes + arrayBuffersDeltaBytes) / count),
      totalMb: Math.round(((heapDeltaBytes + arrayBuffersDeltaBytes) / 1e6) * 10) / 10,
      per100kMb: Math.round((heapDeltaBytes + arrayBuffersDeltaBytes) / count) / 10, // MB for 100,000 of them
    };
    if (snapshots) result.breakdown = require('./heap-breakdown').breakdown(snapshots.before, snapshots.after, count);
    return result;
  } finally {
    await deps.sender.stop();
    await deps.closeFetch();
    await deps.storage.close?.();
    server.close();
    receiver.close();
  }
}

module.exports = { pendingMemory };

if (require.main === module) {
  const log = (line) => process.stderr.write(`${line}\n`);
  pendingMemory({ count: Number(process.env.PENDING || 100_000), body: process.env.PENDING_BODY || 'json', via: process.env.PENDING_VIA || 'http', snapshot: process.env.PENDING_SNAPSHOT === '1', log }).then(
    (result) => {
      if (result.breakdown) {
        console.error(`where the bytes of one waiting delivery go (heap snapshot difference / ${result.count}):`);
        console.error(result.breakdown.table);
        delete result.breakdown.table;
      }
      process.stdout.write(`${JSON.stringify(result)}\n`);
      process.exit(0); // the app's keep-alive sockets and idle timers are not worth closing one by one here
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
