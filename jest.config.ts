/**
 * Jest reads this file through ts-node, which would type-check it on every
 * run (about 2 s of CPU before the first test starts): transpiled only here,
 * type-checked by `npm run typecheck` (packages/api/tsconfig.json).
 * @jest-config-loader-options {"transpileOnly": true}
 */
import { availableParallelism } from 'node:os';
import type { Config } from 'jest';

// Two test files per core: a file spends about 40% of its time waiting on the
// processes, sockets and timers it starts, not on the CPU. Measured on 2 cores,
// the whole suite: 2 workers 435 s, 3 workers 335 s, 4 workers 297 s. At most
// 8: each file may run an engine, API processes and Chromium.
const WORKERS = Math.min(8, 2 * availableParallelism());

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
  maxWorkers: WORKERS,
};

export default config;
