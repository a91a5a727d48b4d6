'use strict';
// Memory held by deliveries waiting for a retry (issue 13 item 4: 100,000 under 100 MB of heap). Each delivery
// gets one attempt, answered 503 without a socket, and then waits 10 minutes for its retry in the outbox.
// Measured after a full GC: the JS heap (records, store, scheduler) and the bodies' bytes (Buffers live outside
// the heap, in `arrayBuffers`), per delivery. Run alone: `npm run build && node --expose-gc bench/pending-memory.js`.
const pino = require('pino');
const { createSender } = require('../dist/sender/sender');
const { MemoryDeliveryStore } = require('../dist/storage/memory/delivery-store');
const { realSleep, systemNow, systemRandom } = require('../dist/clock');
const { newUuidId } = require('../dist/deps');

const PAYLOAD = { filler: 'x'.repeat(1000) };

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function pendingMemory({ count = 100_000, log = () => undefined } = {}) {
  if (!global.gc) log('pending-memory: run node with --expose-gc for exact figures');
  let attempted = 0;
  let allAttempted;
  const done = new Promise((resolve) => (allAttempted = resolve));
  const store = new MemoryDeliveryStore(1000);
  const sender = createSender({
    fetch: async () => new Response('busy', { status: 503 }),
    sleep: realSleep,
    now: systemNow,
    random: systemRandom,
    logger: pino({ level: 'silent' }),
    store,
    config: { maxAttempts: 5, baseDelayMs: 600_000, maxDelayMs: 600_000, timeoutMs: 10_000, concurrency: 50 },
    newId: newUuidId,
    secretsFor: () => ['bench-secret-0123456789abcdef'],
    onChange: (record) => {
      if (record.attempts.length === 1 && record.status === 'pending' && (attempted += 1) === count) allAttempted();
    },
  });
  await settle();
  global.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  const started = performance.now();
  for (let i = 0; i < count; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 1000); j += 1) {
      batch.push(sender.send({ url: 'http://127.0.0.1:9/unused', eventType: 'bench.event', payload: PAYLOAD, scheme: 'native' }));
    }
    await Promise.all(batch);
    if (i % 20_000 === 0) {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      log(`pending-memory: ${i} sent, ${attempted} attempted`);
    }
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  await settle();
  global.gc?.();
  const after = process.memoryUsage();
  peakRss = Math.max(peakRss, after.rss);
  const counts = await store.counts();
  await sender.stop();
  const heapDeltaBytes = after.heapUsed - before.heapUsed;
  const arrayBuffersDeltaBytes = after.arrayBuffers - before.arrayBuffers;
  return {
    count,
    pending: counts.pending,
    seconds,
    heapDeltaBytes,
    arrayBuffersDeltaBytes,
    rssDeltaBytes: after.rss - before.rss,
    peakRssBytes: peakRss,
    heapBytesEach: Math.round(heapDeltaBytes / count),
    heapAndBodiesBytesEach: Math.round((heapDeltaBytes + arrayBuffersDeltaBytes) / count),
  };
}

module.exports = { pendingMemory };

if (require.main === module) {
  pendingMemory({ count: Number(process.env.PENDING || 100_000), log: (line) => process.stderr.write(`${line}\n`) }).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
