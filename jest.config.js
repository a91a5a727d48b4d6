/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // isolatedModules: type-checking is `npm run typecheck`'s job; ts-jest only strips types, which keeps the suite fast.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true }],
  },
  // Shared 2-core machines: two workers keep the run from starving the servers the e2e tests start.
  maxWorkers: 2,
  testTimeout: 15000,
};
