'use strict';
// The fan-out scenario (issue 15): one event fanned out to 100 endpoints on a local sink, against the single-URL
// send, through the whole server (HTTP, the outbox, the delivery loop, signing per endpoint). Deliveries per second
// from the first POST until the sink has answered every delivery. Run it after `npm run build`:
//   node bench/fanout.js            BENCH_ROUNDS=3 (default), BENCH_EVENTS=20 events per round (2,000 deliveries)
// Prints progress on stderr and one JSON line last. No internal time limit: a slow run is a slow figure.
const { createServer } = require('node:http');
const os = require('node:os');
const path = require('node:path');
const pino = require('pino');

const DIST = path.resolve(process.env.BENCH_DIST || path.join(__dirname, '..', 'dist'));
const { start } = require(path.join(DIST, 'server'));

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const ENDPOINTS = 100;
const EVENTS = Number(process.env.BENCH_EVENTS || 20);
const DELIVERIES = ENDPOINTS * EVENTS;
const payload = { invoiceId: 'in_1', filler: 'x'.repeat(1000) };
const progress = (line) => process.stderr.write(`fanout: ${line}\n`);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A receiver answering 200 to everything, counting requests; `waitFor(n)` resolves once n have arrived. */
async function sink() {
  let count = 0;
  let waiter;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (waiter && count >= waiter.n) waiter.resolve();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks`,
    reset: () => (count = 0),
    waitFor: (n) => (count >= n ? Promise.resolve() : new Promise((resolve) => (waiter = { n, resolve }))),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function post(base, route, body) {
  const res = await fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** EVENTS events, each fanned out to the 100 endpoints: deliveries per second until the sink has them all. */
async function fanOut(base, target) {
  target.reset();
  const started = performance.now();
  for (let i = 0; i < EVENTS; i += 1) await post(base, '/webhook/events', { appId: 'bench', eventType: 'invoice.paid', payload });
  await target.waitFor(DELIVERIES);
  return DELIVERIES / ((performance.now() - started) / 1000);
}

/** The same number of deliveries through POST /webhook/send, one URL each time, posted 20 at a time. */
async function singleUrl(base, target) {
  target.reset();
  const started = performance.now();
  for (let i = 0; i < DELIVERIES; i += 20) {
    await Promise.all(Array.from({ length: 20 }, () => post(base, '/webhook/send', { url: target.url, eventType: 'invoice.paid', payload })));
  }
  await target.waitFor(DELIVERIES);
  return DELIVERIES / ((performance.now() - started) / 1000);
}

async function main() {
  const target = await sink();
  const running = await start(
    { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', WEBHOOK_SECRET: 'bench-secret-bench-secret', DELIVERY_LIMIT: '1000000' },
    { logger: pino({ level: 'silent' }) },
  );
  try {
    for (let i = 0; i < ENDPOINTS; i += 1) {
      await post(running.url, '/webhook/endpoints', { appId: 'bench', url: target.url, scheme: i % 2 === 0 ? 'native' : 'standard' });
    }
    const fan = [];
    const single = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      // Alternating, so a machine that slows down over the run weighs on both alike.
      fan.push(await fanOut(running.url, target));
      single.push(await singleUrl(running.url, target));
      progress(`round ${round}/${ROUNDS}: fan-out ${Math.round(fan[fan.length - 1])}/s, single-URL send ${Math.round(single[single.length - 1])}/s`);
    }
    const result = {
      scenario: 'fanout',
      endpoints: ENDPOINTS,
      eventsPerRound: EVENTS,
      deliveriesPerRound: DELIVERIES,
      rounds: ROUNDS,
      fanOutDeliveriesPerSecond: Math.round(median(fan)),
      singleUrlDeliveriesPerSecond: Math.round(median(single)),
      loadAverage: os.loadavg()[0].toFixed(2),
    };
    console.log(`\nfanout: one event to ${ENDPOINTS} endpoints (half native, half standard), ${EVENTS} events a round, ${ROUNDS} rounds, medians; load average ${result.loadAverage}`);
    console.log(`  fan-out via POST /webhook/events   ${result.fanOutDeliveriesPerSecond} deliveries/s`);
    console.log(`  single URL via POST /webhook/send  ${result.singleUrlDeliveriesPerSecond} deliveries/s`);
    console.log(JSON.stringify(result));
  } finally {
    await running.close();
    await target.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
