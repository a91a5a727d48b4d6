import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

// scripts/postgres-server.js is plain CommonJS, shared with `npm run db:start`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const server = require('../../scripts/postgres-server') as {
  findBinDir(): string | undefined;
  startPostgres(): Promise<{ url: string; dataDir: string; binDir: string }>;
  stopPostgres(dataDir: string, binDir?: string): void;
  pausePostgres(dataDir: string, binDir?: string): void;
  resumePostgres(dataDir: string, binDir?: string): void;
};

/**
 * Whether this run has a PostgreSQL server to test against: `TEST_DATABASE_URL` (an existing server), or the
 * machine's own binaries (a throwaway server per test file). In CI (`CI=true`, set by .ci/run) a missing server
 * fails the suite instead of skipping it: the contract must be proven on Postgres there.
 */
export const postgresAvailable = process.env.TEST_DATABASE_URL !== undefined || server.findBinDir() !== undefined;

if (!postgresAvailable && process.env.CI) {
  throw new Error('CI=true but no PostgreSQL server is installed: .ci/run installs one (scripts/install-postgres.sh)');
}

/** `describe` when Postgres is available, else `describe.skip` with the reason in the title. */
export const describePostgres: jest.Describe = postgresAvailable
  ? describe
  : (Object.assign((name: string, fn: () => void) => describe.skip(`${name} (skipped: no PostgreSQL server; apt-get install postgresql)`, fn), describe) as jest.Describe);

export interface TestPostgres {
  /** The server's admin URL (database `webhooks`). */
  readonly url: string;
  /** A new empty database on the server; its URL. */
  createDatabase(): Promise<string>;
  /** Whether `pause` and `resume` work: a server this helper started (not TEST_DATABASE_URL). */
  readonly pausable: boolean;
  /** Stops the server, keeping its data: the database is down until `resume`. */
  pause(): void;
  /** Starts it again on the same port. */
  resume(): void;
  stop(): void;
}

/** Starts a throwaway server (or uses TEST_DATABASE_URL); call in `beforeAll`, `stop()` in `afterAll`. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const external = process.env.TEST_DATABASE_URL;
  const started = external ? undefined : await server.startPostgres();
  const url = external ?? started!.url;
  return {
    url,
    async createDatabase(): Promise<string> {
      const name = `t_${randomBytes(6).toString('hex')}`;
      const admin = new Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const target = new URL(url);
      target.pathname = `/${name}`;
      return target.toString();
    },
    pausable: started !== undefined,
    pause(): void {
      if (!started) throw new Error('TEST_DATABASE_URL: the test cannot stop that server');
      server.pausePostgres(started.dataDir, started.binDir);
    },
    resume(): void {
      if (!started) throw new Error('TEST_DATABASE_URL: the test cannot start that server');
      server.resumePostgres(started.dataDir, started.binDir);
    },
    stop(): void {
      if (started) server.stopPostgres(started.dataDir, started.binDir);
    },
  };
}
