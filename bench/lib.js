'use strict';
const { spawn } = require('node:child_process');
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const autocannon = require('autocannon');

const ROOT = path.join(__dirname, '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Waits until `url` answers. No deadline: a loaded machine may take long to start a process, and a process
 * that dies is caught by startProcess; past `slowMs` it says so once and goes on waiting.
 */
async function waitForHttp(url, slowMs = 15000) {
  const started = Date.now();
  let warned = false;
  for (;;) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return;
    } catch (error) {
      if (!warned && Date.now() - started > slowMs) {
        warned = true;
        progress(`${url} has not answered after ${Math.round(slowMs / 1000)} s (${error.message}); still waiting`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const benchStarted = Date.now();

/** The machine's 1-minute load average, two decimals: reported with every figure (a shared machine). */
const loadAverage = () => Math.round(os.loadavg()[0] * 100) / 100;

/** One progress line on stderr: time since the bench started, the load average, the message. */
function progress(message) {
  const s = Math.round((Date.now() - benchStarted) / 1000);
  const clock = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  process.stderr.write(`[${clock} load ${loadAverage().toFixed(2)}] ${message}\n`);
}

/**
 * Says so when a scenario runs past its planned time, then every 30 s, and lets it go on: a slow run is
 * reported, never cut off. Returns the function that stops watching.
 */
function watchLong(name, plannedSeconds) {
  const started = Date.now();
  let timer;
  const later = (ms) => {
    timer = setTimeout(() => {
      progress(`${name} is running long: ${Math.round((Date.now() - started) / 1000)} s (planned about ${plannedSeconds} s); going on`);
      later(30_000);
    }, ms);
    timer.unref();
  };
  later(plannedSeconds * 1000);
  return () => clearTimeout(timer);
}

/** Starts a Node script as a child process on a free port and waits until `probePath` answers. */
async function startProcess({ script, env = {}, node = process.execPath, probePath = '/', args = [] }) {
  const port = await freePort();
  const child = spawn(node, [...args, script], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await Promise.race([
      waitForHttp(`http://127.0.0.1:${port}${probePath}`),
      exited.then((code) => {
        throw new Error(`${script} exited with ${code} before listening:\n${stderr}`);
      }),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    rssBytes() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
      return kb * 1024;
    },
    /** CPU time (user + system) the process has used, in seconds: steadier than req/s on a shared machine. */
    cpuSeconds() {
      const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function cannon(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const mb = (bytes) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * A maker of signed 1 KB native-scheme receive requests, each with a fresh unique id (`<idPrefix>_<n>`) and
 * timestamp: what every receive scenario sends. `signNative` comes from the built server (dist/), passed in so this
 * file loads before a build. The maker's `count` is how many it has made (for the bench's counters).
 */
function nativeRequests({ secret, signNative, idPrefix }) {
  const filler = 'x'.repeat(1024 - 120);
  let counter = 0;
  const signedRequest = (eventType = 'bench.event') => {
    counter += 1;
    const id = `${idPrefix}_${counter}`;
    const body = JSON.stringify({ id, type: eventType, data: { n: counter, filler } });
    const ts = Math.floor(Date.now() / 1000);
    return {
      method: 'POST',
      path: '/webhook/receive',
      headers: {
        'content-type': 'application/json',
        'x-webhook-id': id,
        'x-webhook-event': eventType,
        'x-webhook-timestamp': String(ts),
        'x-webhook-signature': signNative(secret, ts, body),
      },
      body,
    };
  };
  Object.defineProperty(signedRequest, 'count', { get: () => counter });
  return signedRequest;
}

module.exports = { ROOT, freePort, startProcess, cannon, median, mb, waitForHttp, loadAverage, progress, watchLong, nativeRequests };
