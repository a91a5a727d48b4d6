'use strict';
// node bench/profile-receive.js: the receive load of `npm run bench` (signed 1 KB native webhooks, unique ids,
// 50 connections) against the built server started with --cpu-prof, then where its CPU went: self time by
// file and by function, and the inclusive time of the functions named in PROFILE_FOCUS. Prints per-webhook
// microseconds (profile time / requests answered), which a shared machine disturbs less than req/s.
// Options (environment): PROFILE_SECONDS (10), PROFILE_TOP (25), PROFILE_FOCUS (comma-separated function
// names), PROFILE_SCRIPT (another server script, e.g. bench/baselines/hand-written.js), PROFILE_NODE_ARGS
// (flags for the server's Node, e.g. --max-semi-space-size=64), PROFILE_KEEP=1 keeps the .cpuprofile (open it
// in Chrome DevTools).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, startProcess, cannon, loadAverage, nativeRequests } = require('./lib');
const { signNative } = require('../dist/signature/native');

const SECONDS = Number(process.env.PROFILE_SECONDS || 10);
const TOP = Number(process.env.PROFILE_TOP || 25);
const SCRIPT = process.env.PROFILE_SCRIPT || 'dist/server.js';
const FOCUS = (process.env.PROFILE_FOCUS || 'receive,redactHeaders,verifyWebhook,rawParser,jsonParser,json,send,setHeaders,info,write,add,remember,enqueue,commit,emit,parseBody')
  .split(',')
  .filter(Boolean);
const SECRET = 'bench-secret-0123456789abcdef';
const signedRequest = nativeRequests({ secret: SECRET, signNative, idPrefix: 'evt_prof' });

/** Self and inclusive microseconds per call frame, from a .cpuprofile. */
function analyse(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  }
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const selfByFn = new Map();
  const selfByFile = new Map();
  const inclusiveByFn = new Map();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us);
    const file = shortUrl(n.callFrame.url) || `(${n.callFrame.functionName})`;
    selfByFile.set(file, (selfByFile.get(file) ?? 0) + us);
    // Inclusive: every distinct frame on the stack of this sample (recursion counted once).
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur));
      if (!seen.has(l)) {
        seen.add(l);
        inclusiveByFn.set(l, (inclusiveByFn.get(l) ?? 0) + us);
      }
    }
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idleUs = [...selfUs].filter(([id]) => byId.get(id).callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  return { totalUs, idleUs, selfByFn, selfByFile, inclusiveByFn };
}

function shortUrl(url) {
  if (!url) return '';
  const file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) return file.slice(nm + 'node_modules/'.length);
  return file.startsWith(ROOT) ? path.relative(ROOT, file) : file;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-profile-'));
  const target = await startProcess({
    script: SCRIPT,
    args: [...(process.env.PROFILE_NODE_ARGS ?? '').split(' ').filter(Boolean), '--cpu-prof', `--cpu-prof-dir=${dir}`],
    env: { NODE_ENV: 'production', LOG_LEVEL: 'info', WEBHOOK_SECRET: SECRET, HOST: '127.0.0.1' },
    probePath: SCRIPT === 'dist/server.js' ? '/healthz' : '/',
  });
  const requests = [{ setupRequest: (req) => ({ ...req, ...signedRequest() }) }];
  let result;
  try {
    await cannon({ url: target.url, connections: 50, duration: 2, requests }); // warm-up, profiled too
    const before = signedRequest.count;
    result = await cannon({ url: target.url, connections: 50, duration: SECONDS, requests });
    result.sent = signedRequest.count - before;
  } finally {
    await target.stop();
  }
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written to ${dir}`);
  const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  // The whole process was profiled (start-up, warm-up, run): divide by every request it answered.
  const answered = signedRequest.count;
  const { totalUs, idleUs, selfByFn, selfByFile, inclusiveByFn } = analyse(profile);
  const perReq = (us) => Math.round((us / answered) * 10) / 10;
  const busyUs = totalUs - idleUs;
  console.log(
    `${SCRIPT}: ${Math.round(result.requests.average)} req/s over ${SECONDS} s, p99 ${result.latency.p99} ms, load average ${loadAverage()}; ` +
      `${answered} requests profiled, ${perReq(busyUs)} µs busy per request`,
  );
  const top = (map, n) =>
    Object.fromEntries(
      [...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, n)
        .map(([k, us]) => [k, { 'µs/req': perReq(us), '% busy': Math.round((us / busyUs) * 1000) / 10 }]),
    );
  console.log('\nself time by file');
  console.table(top(selfByFile, TOP));
  console.log('\nself time by function');
  console.table(top(selfByFn, TOP));
  console.log('\ninclusive time of the focus functions');
  const focus = new Map([...inclusiveByFn].filter(([k]) => FOCUS.includes(k.split(' ')[0])));
  console.table(top(focus, TOP * 2));
  if (process.env.PROFILE_KEEP) console.log(`\nprofile kept: ${path.join(dir, file)}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
