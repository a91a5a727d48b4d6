'use strict';
// BEFORE=/path/to/another/built/copy node bench/sqlite-ab.js: the receive bench of that copy's SQLite store against
// this one's, and this one's memory store, in the same rounds (order rotating), so that a busy shared machine
// weighs on both alike. ROUNDS (6), SECS (5). Prints every round and the medians of the per-round ratios.
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const AFTER = path.join(__dirname, '..');
const BEFORE = process.env.BEFORE;
if (!BEFORE) throw new Error('BEFORE=/path/to/a/built/copy of the server to compare with (npm run build done there)');
process.chdir(AFTER);
const { startProcess, cannon, median, nativeRequests } = require(path.join(AFTER, 'bench/lib'));
const { signNative } = require(path.join(AFTER, 'dist/signature/native'));
const ROUNDS = Number(process.env.ROUNDS || 6), SECS = Number(process.env.SECS || 5);
const req = nativeRequests({ secret: 'bench-secret-0123456789abcdef', signNative, idPrefix: `evt_${Date.now().toString(36)}` });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ab-')); let runs = 0;
const env = (extra) => ({ NODE_ENV: 'production', LOG_LEVEL: 'info', WEBHOOK_SECRET: 'bench-secret-0123456789abcdef', HOST: '127.0.0.1', ...extra });
const T = {
  memory: () => ({ script: path.join(AFTER, 'dist/server.js'), env: env({}) }),
  'sqlite before': () => ({ script: path.join(BEFORE, 'dist/server.js'), env: env({ STORE: 'sqlite', SQLITE_PATH: path.join(dir, `r${++runs}.db`) }) }),
  'sqlite after': () => ({ script: path.join(AFTER, 'dist/server.js'), env: env({ STORE: 'sqlite', SQLITE_PATH: path.join(dir, `r${++runs}.db`) }) }),
};
(async () => {
  const names = Object.keys(T); const rps = Object.fromEntries(names.map((k) => [k, []])); const p99 = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const name of order) {
      const t = await startProcess({ ...T[name](), probePath: '/healthz' });
      try {
        await cannon({ url: t.url, connections: 50, duration: 1, requests: [{ setupRequest: (q) => ({ ...q, ...req() }) }] });
        const res = await cannon({ url: t.url, connections: 50, duration: SECS, requests: [{ setupRequest: (q) => ({ ...q, ...req() }) }] });
        rps[name].push(res.requests.average); p99[name].push(res.latency.p99);
      } finally { await t.stop(); }
    }
    console.log(`round ${r + 1}: load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`, names.map((k) => `${k} ${Math.round(rps[k][r])}`).join(', '),
      `| before/mem ${(rps['sqlite before'][r] / rps.memory[r]).toFixed(2)} after/mem ${(rps['sqlite after'][r] / rps.memory[r]).toFixed(2)} after/before ${(rps['sqlite after'][r] / rps['sqlite before'][r]).toFixed(2)}`);
  }
  const m = Object.fromEntries(names.map((k) => [k, median(rps[k])]));
  const ratio = (a, b) => median(rps[a].map((x, i) => x / rps[b][i]));
  console.log('medians req/s', JSON.stringify(m), 'p99 ms', JSON.stringify(Object.fromEntries(names.map((k) => [k, median(p99[k])]))));
  console.log(`median of per-round ratios: before/memory ${ratio('sqlite before', 'memory').toFixed(2)}, after/memory ${ratio('sqlite after', 'memory').toFixed(2)}, after/before ${ratio('sqlite after', 'sqlite before').toFixed(2)}`);
  console.log(`ratio of medians: before/memory ${(m['sqlite before'] / m.memory).toFixed(2)}, after/memory ${(m['sqlite after'] / m.memory).toFixed(2)}`);
  fs.rmSync(dir, { recursive: true, force: true });
})();
