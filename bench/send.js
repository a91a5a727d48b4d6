'use strict';
// The send scenario, in its own process so its memory figures are its own. Prints one JSON line last, progress on
// stderr. Sender (createSender with the real fetch) against a baseline of bare fetch calls at the same concurrency,
// alternating. The memory held by deliveries waiting for a retry is bench/pending-memory.js's, in its own process
// (a process that has just sent 30,000 deliveries holds garbage and pools that are not the waiting ones').
// No internal time limit: a slow run is a slow figure, said as such, never a failure.
// BENCH_DIST=/path/to/dist measures another build (an older one, for a before/after); BENCH_SEND_DELIVERIES
// (10,000) per round and target.
const path = require('node:path');
const pino = require('pino');
const { startProcess, median } = require('./lib');

const DIST = path.resolve(process.env.BENCH_DIST || path.join(__dirname, '..', 'dist'));
const { createSender } = require(path.join(DIST, 'sender/sender'));
const { MemoryDeliveryStore } = (() => {
  try {
    return require(path.join(DIST, 'storage/memory/delivery-store'));
  } catch {
    return require(path.join(DIST, 'sender/memory-delivery-store')); // builds before the stores moved
  }
})();
const { realSleep, systemNow, systemRandom } = require(path.join(DIST, 'clock'));
const { newUuidId } = require(path.join(DIST, 'deps'));
const { createGuardedFetch } = require(path.join(DIST, 'security/guarded-fetch'));
const { systemLookup } = require(path.join(DIST, 'security/destination'));

// What the app's sender really uses: undici's pool behind the destination guard (rules off, as by default),
// through undici's request (sender/transport.ts) where the build has it, else its fetch.
const guarded = createGuardedFetch({ allowedHosts: [], blockPrivate: false }, systemLookup);
const appFetch = guarded.fetch;
const appTransport = (() => {
  try {
    return require(path.join(DIST, 'sender/transport')).undiciTransport(guarded.dispatcher);
  } catch {
    return undefined; // a build from before the transports
  }
})();

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const DELIVERIES = Number(process.env.BENCH_SEND_DELIVERIES || 10_000);
const CONCURRENCY = 50;
const payload = { filler: 'x'.repeat(1000) };
const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
const progress = (line) => process.stderr.write(`send: ${line}\n`);

async function bareFetch(url, fetchImpl = fetch) {
  const body = JSON.stringify(payload);
  let next = 0;
  const started = performance.now();
  async function worker() {
    while (next < DELIVERIES) {
      next += 1;
      const res = await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
      if (res.status !== 200) progress(`the sink answered ${res.status}`);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return DELIVERIES / ((performance.now() - started) / 1000);
}

function makeSender(fetchImpl, config, transport) {
  const store = new MemoryDeliveryStore(1000);
  const sender = createSender({
    fetch: fetchImpl,
    transport,
    sleep: realSleep,
    now: systemNow,
    random: systemRandom,
    logger,
    store,
    config,
    newId: newUuidId,
    secretsFor: () => ['bench-secret-0123456789abcdef'],
    secrets: () => ['bench-secret-0123456789abcdef'], // builds before per-scheme secrets (BENCH_DIST)
  });
  return { sender, store };
}

async function viaSender(url) {
  const { sender } = makeSender(
    appFetch,
    { maxAttempts: 1, baseDelayMs: 1000, maxDelayMs: 60000, timeoutMs: 10000, concurrency: CONCURRENCY },
    appTransport,
  );
  const started = performance.now();
  const ids = [];
  for (let i = 0; i < DELIVERIES; i += 1) {
    // `await` takes the stored record whether send answers it or a promise of it (older builds).
    ids.push((await sender.send({ url, eventType: 'bench.event', payload, scheme: 'native' })).id);
  }
  const records = await Promise.all(ids.map((id) => sender.settled(id)));
  const elapsed = (performance.now() - started) / 1000;
  const failed = records.filter((r) => r.status !== 'delivered').length;
  // Counted, not fatal: a loaded machine may time an attempt out; the figure says so.
  if (failed) progress(`${failed} of ${DELIVERIES} deliveries failed in this round`);
  return DELIVERIES / elapsed;
}

async function main() {
  const sink = await startProcess({ script: 'bench/baselines/sink.js' });
  const bare = [];
  const bareUndici = [];
  const ours = [];
  // CPU time of this process per delivery, beside the rates: on a shared machine the rates swing with the load
  // of others, the CPU a delivery costs much less.
  const cpu = { bare: [], bareUndici: [], ours: [] };
  const timed = async (name, run) => {
    const before = process.cpuUsage();
    const rate = await run();
    const used = process.cpuUsage(before);
    cpu[name].push((used.user + used.system) / DELIVERIES);
    return rate;
  };
  try {
    const url = `${sink.url}/hook`;
    await bareFetch(url); // warm-up: connections, JIT
    await bareFetch(url, appFetch);
    for (let round = 0; round < ROUNDS; round += 1) {
      const runs = [
        async () => bare.push(await timed('bare', () => bareFetch(url))),
        async () => bareUndici.push(await timed('bareUndici', () => bareFetch(url, appFetch))),
        async () => ours.push(await timed('ours', () => viaSender(url))),
      ];
      if (round % 2) runs.reverse();
      const roundStarted = performance.now();
      for (const run of runs) await run();
      const us = (name) => `${Math.round(cpu[name].at(-1))} µs CPU each`;
      progress(
        `round ${round + 1}/${ROUNDS} in ${((performance.now() - roundStarted) / 1000).toFixed(1)} s: bare ${Math.round(bare.at(-1))}/s (${us('bare')}), ` +
          `undici ${Math.round(bareUndici.at(-1))}/s (${us('bareUndici')}), sender ${Math.round(ours.at(-1))}/s (${us('ours')})`,
      );
    }
  } finally {
    await sink.stop();
  }
  const bareRps = median(bare);
  const bareUndiciRps = median(bareUndici);
  const senderRps = median(ours);
  const cpuUsPerDelivery = { bare: median(cpu.bare), bareUndici: median(cpu.bareUndici), sender: median(cpu.ours) };
  process.stdout.write(
    `${JSON.stringify({
      deliveries: DELIVERIES,
      concurrency: CONCURRENCY,
      bare,
      bareUndici,
      ours,
      bareRps,
      bareUndiciRps,
      senderRps,
      ratio: senderRps / bareRps,
      ratioUndici: senderRps / bareUndiciRps,
      cpuUsPerDelivery,
      // bare fetch's CPU per delivery over the sender's: the rate ratio the sender would reach when the client is the bottleneck
      cpuRatio: cpuUsPerDelivery.bare / cpuUsPerDelivery.sender,
    })}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
