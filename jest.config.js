/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // tsconfig's isolatedModules makes ts-jest transpile file by file without type-checking (that is
    // `npm run typecheck`'s job), which keeps the suite fast.
    '^.+\\.ts$': ['ts-jest', {}],
  },
  // Shared 2-core machines: two workers keep the run from starving the servers the e2e tests start.
  maxWorkers: 2,
  testTimeout: 15000,
  // How long a worker may take to exit once its last file is done (Jest's default: 500 ms, then "a worker
  // process has failed to exit gracefully"). Measured with every file's open handles listed at teardown: none
  // outlive their file by more than a few event-loop turns (supertest's ephemeral servers closing their sockets),
  // but with a CPU hog on a 2-core machine those turns alone took longer than 500 ms. A real leak (a timer, a
  // child process, a loop still running) still trips this bound. Issue 17.
  workerGracefulExitTimeout: 10_000,
};
