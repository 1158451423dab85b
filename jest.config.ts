import type { Config } from 'jest';

// One database server for the whole run, or one jongodb per file (test/support/global-setup.ts);
// each test file works in a database of its own.
const config: Config = {
  // A jongodb per test file when the run has no shared server (test/support/engine-environment.ts).
  testEnvironment: '<rootDir>/packages/api/test/support/engine-environment.ts',
  roots: ['<rootDir>/packages'],
  testMatch: ['**/test/**/*.test.ts', '**/src/**/*.test.ts'],
  // Each file transpiled on its own (tsconfig.jest.json): no type program per worker; `npm run typecheck` checks types.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }] },
  globalSetup: '<rootDir>/packages/api/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/packages/api/test/support/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
