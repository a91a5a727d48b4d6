const { verifyWebhook } = require('../dist/signature/verify');
const { signNative } = require('../dist/signature/native');
const { redactHeaders } = require('../dist/history/redact');
const { loadConfig } = require('../dist/config');
const { createDeps } = require('../dist/deps');
const pino = require('pino');
const deps = createDeps(loadConfig({ WEBHOOK_SECRET: 's', LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
const F = 'x'.repeat(900);
const N = 200000;
const reqs = [];
for (let i = 0; i < 1000; i++) { const id = 'e' + i; const body = JSON.stringify({ id, f: F }); const ts = Math.floor(Date.now() / 1000);
  reqs.push({ body: Buffer.from(body), headers: { host: '127.0.0.1:3099', 'content-type': 'application/json', 'content-length': String(body.length), 'x-webhook-id': id, 'x-webhook-event': 't', 'x-webhook-timestamp': String(ts), 'x-webhook-signature': signNative('s', ts, body) } }); }
function time(name, fn) { for (let i = 0; i < 20000; i++) fn(i); const t = process.hrtime.bigint(); for (let i = 0; i < N; i++) fn(i); console.log(name.padEnd(22), (Number(process.hrtime.bigint() - t) / N / 1000).toFixed(2), 'µs'); }
const opts = { secrets: ['s'], nowSeconds: Math.floor(Date.now() / 1000), toleranceSeconds: 300 };
time('verify', (i) => verifyWebhook(reqs[i % 1000].headers, reqs[i % 1000].body, opts));
time('parse', (i) => JSON.parse(reqs[i % 1000].body.toString('utf8')));
time('redact', (i) => redactHeaders(reqs[i % 1000].headers));
time('iso', () => new Date().toISOString());
let n = 0;
time('history.add', (i) => deps.history.add({ id: 'h' + (n++), receivedAt: '', eventType: 't', scheme: 'native', status: 'accepted', verification: { ok: true, reason: null }, headers: {}, payload: null, sizeBytes: 1, duplicates: 0, processing: { state: 'pending' } }));
let m = 0;
time('dedupe lookup+remember', () => { const k = ['id:' + m, 'sig:native:' + m + 'abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd']; m++; deps.dedupe.lookup(k, Date.now()); deps.dedupe.remember(k, 'x' + m, Date.now()); });
let r = 0;
time('rawBodies.set', (i) => deps.rawBodies.set('r' + (r++), reqs[i % 1000].body));
time('randomUUID id', () => deps.newId('evt'));
