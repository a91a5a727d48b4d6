'use strict';
// node bench/logger-ab.js: the CPU a log line costs the process (main thread and the thread pool's writes),
// with pino writing straight to sonic-boom (as before issue 13) and through BatchedLines (src/log-batch.ts),
// one line per event-loop turn as on the receive path under load, to /dev/null. Alternating trials; the
// minimum of each, since other work on a shared machine can only add to it. LINES (20000), TRIALS (7).
const fs = require('node:fs');
const pino = require('pino');
const { BatchedLines } = require('../dist/log-batch');

const LINES = Number(process.env.LINES || 20000);
const TRIALS = Number(process.env.TRIALS || 7);

function makeLogger(batched) {
  const fd = fs.openSync('/dev/null', 'w');
  const sonic = pino.destination({ dest: fd, sync: false, minLength: 1 });
  const destination = batched ? new BatchedLines(sonic, (data) => fs.writeSync(fd, data)) : sonic;
  return { logger: pino({ level: 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, destination), fd };
}

async function trial(batched, log = true) {
  const { logger, fd } = makeLogger(batched);
  const before = process.cpuUsage();
  for (let i = 0; i < LINES; i += 1) {
    if (log) logger.info({ eventId: `evt_${i}`, eventType: 'bench.event', scheme: 'native', outcome: 'accepted', sizeBytes: 1024 }, 'webhook received');
    await new Promise((resolve) => setImmediate(resolve)); // the next request comes in another turn
  }
  await new Promise((resolve) => logger.flush(resolve));
  const used = process.cpuUsage(before);
  fs.closeSync(fd);
  return (used.user + used.system) / LINES;
}

async function main() {
  const results = { direct: [], batched: [], noLogging: [] };
  await trial(false); // warm-up
  await trial(true);
  for (let t = 0; t < TRIALS; t += 1) {
    const order = t % 2 ? [true, false] : [false, true];
    for (const batched of order) results[batched ? 'batched' : 'direct'].push(await trial(batched));
    results.noLogging.push(await trial(false, false)); // the loop of turns alone
  }
  const min = (list) => Math.min(...list);
  console.log(
    `µs of CPU per log line, min of ${TRIALS} (load average ${require('node:os').loadavg()[0].toFixed(2)}): ` +
      `sonic-boom directly ${min(results.direct).toFixed(2)}, batched ${min(results.batched).toFixed(2)}, ` +
      `the loop of turns without logging ${min(results.noLogging).toFixed(2)}`,
  );
  console.log(JSON.stringify(results));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
