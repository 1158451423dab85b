// A jongodb engine the test controls: stop it and start it again on the
// same port, to play a database outage.
import { spawn, type ChildProcess } from 'node:child_process';
import { findJongodb } from '../../src/db/engine';

export const jongodbBinary = findJongodb();

export class ControlledEngine {
  private child?: ChildProcess;
  port = 0;

  get uri(): string {
    return `mongodb://127.0.0.1:${this.port}/outage`;
  }

  async start(): Promise<void> {
    if (!jongodbBinary) throw new Error('jongodb is not installed');
    const child = spawn(jongodbBinary, ['--host=127.0.0.1', `--port=${this.port}`, '--database=outage'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d;
        const m = /JONGODB_URI=mongodb:\/\/[^:]+:(\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`jongodb exited with ${code}`)));
    });
    this.port = Number(line);
  }

  /** Freeze the engine (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    });
  }
}
