// Jest's node environment, plus a jongodb of the test file's own when the
// run has no shared server (global-setup.ts): started before the file's
// first hook, stopped after its last, so no file waits on another's data.
// TEST_CPU_LOG=<file>: appends each file's wall time and the CPU it cost
// (this worker, and every process it started and reaped: engine, servers,
// Chromium), to find where a run's time goes.
import { appendFileSync, readFileSync } from 'node:fs';
import NodeEnvironment from 'jest-environment-node';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { startJongodb, type Engine } from '../../src/db/engine';

/** CPU seconds of this process and its reaped children (/proc/self/stat utime, stime, cutime, cstime). */
function cpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / 100;
  } catch {
    return 0;
  }
}

export default class EngineEnvironment extends NodeEnvironment {
  private engine?: Engine;
  private readonly testPath: string;
  private readonly started = { wall: Date.now(), cpu: cpuSeconds() };

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async setup(): Promise<void> {
    await super.setup();
    const binary = process.env.TEST_JONGODB_BINARY;
    if (!binary) return;
    this.engine = await startJongodb(binary, 'test');
    this.global.process.env.TEST_MONGODB_URI = this.engine.uri;
  }

  async teardown(): Promise<void> {
    await this.engine?.stop();
    await super.teardown();
    const log = process.env.TEST_CPU_LOG;
    if (log) {
      const wall = (Date.now() - this.started.wall) / 1000;
      const cpu = cpuSeconds() - this.started.cpu;
      appendFileSync(log, `${wall.toFixed(1)}\t${cpu.toFixed(1)}\t${this.testPath}\n`);
    }
  }
}
