const { startProcess, cannon } = require('./lib');
const { signNative } = require('../dist/signature/native');
let c = 0; const F = 'x'.repeat(900);
const requests = [{ setupRequest: (r) => { c++; const id = 'e' + c + '_' + Date.now(); const body = JSON.stringify({ id, f: F }); const ts = Math.floor(Date.now() / 1000);
  return { ...r, method: 'POST', path: '/webhook/receive', headers: { 'content-type': 'application/json', 'x-webhook-id': id, 'x-webhook-event': 't', 'x-webhook-timestamp': String(ts), 'x-webhook-signature': signNative('bench-secret', ts, body) }, body }; } }];
(async () => {
  const targets = JSON.parse(process.argv[2]);
  for (let round = 0; round < 2; round++) for (const t of targets) {
    const p = await startProcess({ script: t.script, env: { NODE_ENV: 'production', WEBHOOK_SECRET: 'bench-secret', HOST: '127.0.0.1', ...t.env }, probePath: '/' });
    await cannon({ url: p.url, connections: 50, duration: 1, requests });
    const before = p.cpuSeconds();
    const r = await cannon({ url: p.url, connections: 50, duration: 4, requests });
    console.log(t.name, 'rps', Math.round(r.requests.average), 'cpu µs/req', Math.round((p.cpuSeconds() - before) * 1e6 / r.requests.total), 'non2xx', r.non2xx);
    await p.stop();
  }
})();
