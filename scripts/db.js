#!/usr/bin/env node
'use strict';
/**
 * A local PostgreSQL to try STORE=postgres: `npm run db:start` starts a throwaway server (the machine's own
 * PostgreSQL binaries, 127.0.0.1, a free port, data in a temporary folder) and prints the DATABASE_URL to use;
 * `npm run db:stop` stops it and deletes its data. See docs/scaling.md.
 */
const { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { startPostgres, stopPostgres } = require('./postgres-server');

const STATE = join(__dirname, '..', 'data', 'postgres-local.json');

async function main(command) {
  if (command === 'start') {
    if (existsSync(STATE)) {
      const { url } = JSON.parse(readFileSync(STATE, 'utf8'));
      console.log(`Already running. DATABASE_URL=${url}\nStop it with: npm run db:stop`);
      return;
    }
    const server = await startPostgres();
    mkdirSync(join(__dirname, '..', 'data'), { recursive: true });
    writeFileSync(STATE, JSON.stringify({ url: server.url, dataDir: server.dataDir, binDir: server.binDir }, null, 2));
    console.log(`PostgreSQL is running on 127.0.0.1:${server.port} (data in ${server.dataDir}).`);
    console.log(`\n  DATABASE_URL=${server.url}\n`);
    console.log(`Try it:  STORE=postgres DATABASE_URL=${server.url} npm start`);
    console.log('Stop it: npm run db:stop   (deletes its data)');
    return;
  }
  if (command === 'stop') {
    if (!existsSync(STATE)) {
      console.log('No local PostgreSQL started by `npm run db:start` is running.');
      return;
    }
    const { dataDir, binDir } = JSON.parse(readFileSync(STATE, 'utf8'));
    stopPostgres(dataDir, binDir);
    rmSync(STATE, { force: true });
    console.log('Stopped, and its data deleted.');
    return;
  }
  console.error('usage: node scripts/db.js start|stop');
  process.exitCode = 2;
}

main(process.argv[2]).catch((error) => {
  console.error(error.message);
  process.exitCode = 1;
});
