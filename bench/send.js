'use strict';
// The send scenario, in its own process so its memory figures are its own. Prints one JSON line last.
// Sender (createSender with the real fetch) against a baseline of bare fetch calls at the same concurrency,
// alternating, then the memory held by 100,000 deliveries waiting for a retry.
const pino = require('pino');
const { startProcess, median } = require('./lib');
const { createSender } = require('../dist/sender/sender');
const { MemoryDeliveryStore } = require('../dist/sender/memory-delivery-store');
const { realSleep, systemNow, systemRandom } = require('../dist/clock');
const { newUuidId } = require('../dist/deps');
const { createGuardedFetch } = require('../dist/security/guarded-fetch');
const { systemLookup } = require('../dist/security/destination');

// The fetch the app's sender really uses: undici's, through the destination guard (rules off, as by default).
const appFetch = createGuardedFetch({ allowedHosts: [], blockPrivate: false }, systemLookup).fetch;

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const DELIVERIES = 10_000;
const CONCURRENCY = 50;
const PENDING = 100_000;
const payload = { filler: 'x'.repeat(1000) };
const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));

async function bareFetch(url, fetchImpl = fetch) {
  const body = JSON.stringify(payload);
  let next = 0;
  const started = performance.now();
  async function worker() {
    while (next < DELIVERIES) {
      next += 1;
      const res = await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`sink answered ${res.status}`);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return DELIVERIES / ((performance.now() - started) / 1000);
}

function makeSender(fetchImpl, config) {
  const store = new MemoryDeliveryStore(1000);
  const sender = createSender({
    fetch: fetchImpl,
    sleep: realSleep,
    now: systemNow,
    random: systemRandom,
    logger,
    store,
    config,
    newId: newUuidId,
    secrets: () => ['bench-secret'],
  });
  return { sender, store };
}

async function viaSender(url) {
  const { sender } = makeSender(appFetch, {
    maxAttempts: 1, baseDelayMs: 1000, maxDelayMs: 60000, timeoutMs: 10000, concurrency: CONCURRENCY,
  });
  const started = performance.now();
  const ids = [];
  for (let i = 0; i < DELIVERIES; i += 1) {
    ids.push(sender.send({ url, eventType: 'bench.event', payload, scheme: 'native' }).id);
  }
  const records = await Promise.all(ids.map((id) => sender.settled(id)));
  const elapsed = (performance.now() - started) / 1000;
  const failed = records.filter((r) => r.status !== 'delivered').length;
  if (failed) throw new Error(`${failed} deliveries failed`);
  return DELIVERIES / elapsed;
}

async function pendingMemory() {
  // A receiver that always answers 503, without a socket: what is measured is the records and timers.
  const unavailable = async () => new Response('busy', { status: 503 });
  global.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  const { sender } = makeSender(unavailable, {
    maxAttempts: 5, baseDelayMs: 600_000, maxDelayMs: 600_000, timeoutMs: 10000, concurrency: CONCURRENCY,
  });
  for (let i = 0; i < PENDING; i += 1) {
    sender.send({ url: 'http://127.0.0.1:9/unused', eventType: 'bench.event', payload, scheme: 'native' });
    if (i % 10_000 === 0) {
      await new Promise((r) => setImmediate(r));
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  }
  // Wait until every delivery has made its first attempt and is waiting for the retry.
  while (sender.active() < PENDING) await new Promise((r) => setTimeout(r, 50));
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const { items } = { items: [] };
    void items;
    break;
  }
  await new Promise((r) => setTimeout(r, 1000));
  global.gc?.();
  const after = process.memoryUsage();
  peakRss = Math.max(peakRss, after.rss);
  await sender.stop();
  return { count: PENDING, rssDeltaBytes: after.rss - before.rss, heapDeltaBytes: after.heapUsed - before.heapUsed, peakRssBytes: peakRss };
}

async function main() {
  const sink = await startProcess({ script: 'bench/baselines/sink.js' });
  const bare = [];
  const bareUndici = [];
  const ours = [];
  try {
    const url = `${sink.url}/hook`;
    await bareFetch(url); // warm-up: connections, JIT
    await bareFetch(url, appFetch);
    for (let round = 0; round < ROUNDS; round += 1) {
      const runs = [
        async () => bare.push(await bareFetch(url)),
        async () => bareUndici.push(await bareFetch(url, appFetch)),
        async () => ours.push(await viaSender(url)),
      ];
      if (round % 2) runs.reverse();
      for (const run of runs) await run();
    }
  } finally {
    await sink.stop();
  }
  const pending = await pendingMemory();
  const bareRps = median(bare);
  const bareUndiciRps = median(bareUndici);
  const senderRps = median(ours);
  process.stdout.write(
    `${JSON.stringify({ deliveries: DELIVERIES, concurrency: CONCURRENCY, bare, bareUndici, ours, bareRps, bareUndiciRps, senderRps, ratio: senderRps / bareRps, ratioUndici: senderRps / bareUndiciRps, pending })}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
