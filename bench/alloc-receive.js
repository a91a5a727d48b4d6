'use strict';
// node bench/alloc-receive.js: the receive load of `npm run bench` (signed 1 KB native webhooks, unique ids,
// 20 connections) against the built server with V8's sampling heap profiler on (bench/alloc-sampler.js), then the
// bytes allocated per webhook, in all and by function. Allocations are the garbage collector's work, and they move
// far less with a shared machine's load than CPU time does (a few per cent where CPU per request moves by 2x;
// the server's own batching, of log lines for instance, allocates a little more per webhook when fewer arrive),
// so a change of a few hundred bytes per webhook shows when targets are compared in the same minutes.
// Options (environment): ALLOC_SCRIPT (another server script, e.g. bench/baselines/hand-written.js), ALLOC_TOP (30).
// Functions are V8's outermost frames: what an optimized function inlined is counted in it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ROOT, cannon, freePort, waitForHttp, loadAverage, nativeRequests } = require('./lib');
const { signNative } = require('../dist/signature/native');

const SCRIPT = process.env.ALLOC_SCRIPT || 'dist/server.js';
const TOP = Number(process.env.ALLOC_TOP || 30);
const SECRET = 'bench-secret-0123456789abcdef';

/** Self bytes by function label, from a sampling heap profile's call tree. */
function byFunction(profile) {
  const bytes = new Map();
  let total = 0;
  const walk = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.startsWith('file://') ? url.slice('file://'.length) : url;
    const nm = file.lastIndexOf('node_modules/');
    const where = nm >= 0 ? file.slice(nm + 'node_modules/'.length) : file.startsWith(ROOT) ? path.relative(ROOT, file) : file;
    const label = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    bytes.set(label, (bytes.get(label) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return { bytes, total };
}

async function main() {
  const port = await freePort();
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-alloc-')), 'profile.json');
  const child = spawn(process.execPath, ['-r', path.join(__dirname, 'alloc-sampler.js'), SCRIPT], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      WEBHOOK_SECRET: SECRET,
      HOST: '127.0.0.1',
      ALLOC_SAMPLE_AFTER_MS: '3000',
      ALLOC_SAMPLE_MS: '5000',
      ALLOC_SAMPLE_OUT: out,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}${SCRIPT === 'dist/server.js' ? '/healthz' : '/'}`);
    const signedRequest = nativeRequests({ secret: SECRET, signNative, idPrefix: `evt_alloc_${Date.now().toString(36)}` });
    const requests = [{ setupRequest: (req) => ({ ...req, ...signedRequest() }) }];
    // Load from before the sampling window opens until after it closes (3 s to 8 s after start-up).
    await cannon({ url: `http://127.0.0.1:${port}`, connections: 20, duration: 10, requests });
    while (!fs.existsSync(out)) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the write may still be in progress
  } finally {
    child.kill('SIGTERM');
  }
  const result = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  if (result.error) throw new Error(result.error);
  const { bytes, total } = byFunction(result.profile);
  const perRequest = (b) => Math.round(b / result.requests);
  console.log(`${SCRIPT}: ${perRequest(total)} bytes allocated per request (${result.requests} requests sampled, load average ${loadAverage()})`);
  console.table(
    Object.fromEntries(
      [...bytes]
        .sort((a, b) => b[1] - a[1])
        .slice(0, TOP)
        .map(([label, b]) => [label, { 'bytes/req': perRequest(b), '%': Math.round((b / total) * 1000) / 10 }]),
    ),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
