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
};
