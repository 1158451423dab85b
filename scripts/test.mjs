// `npm test`: the build, then the suite and the checks (checks.mjs: the
// schema and docs/api.md, types, lint, formatting) side by side. The suite's
// files spend much of their time waiting on the processes, sockets and
// timers they start; the checks, at the lowest CPU priority, use that time
// instead of running before the suite. On a machine busy with other work
// they may get no time at all: any still running when the suite ends are
// stopped and run again at the usual priority. Jest's output streams as it
// runs, the checks' is printed at the end; the exit code is 1 when either
// failed. Arguments go to jest (`npm test -- packages/api/test/unit`).
import { spawn } from 'node:child_process';
import { constants, setPriority } from 'node:os';
import path from 'node:path';
import { root, runCommand } from './run-command.mjs';

const CHECKS = [process.execPath, path.join(root, 'scripts/checks.mjs')];

/** checks.mjs at the lowest priority (the commands it starts inherit it), in a process group of its own. */
function lowPriorityChecks() {
  const child = spawn(CHECKS[0], CHECKS.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  try {
    setPriority(child.pid, constants.priority.PRIORITY_LOW);
  } catch {
    // Not allowed here: they run at the suite's priority.
  }
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const run = { result: undefined, stop: () => process.kill(-child.pid, 'SIGKILL') };
  run.done = new Promise((resolve) => {
    child.on('error', (err) => (output += `${err.message}\n`));
    child.on('close', (code) => resolve((run.result = { ok: code === 0, output })));
  });
  return run;
}

if (!(await runCommand(['npm', 'run', 'build', '--silent'], false)).ok) process.exit(1);
const beside = lowPriorityChecks();
// Its own process group misses the terminal's Ctrl-C: stopped with this process.
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    try {
      beside.stop();
    } catch {
      // Already gone.
    }
    process.exit(130);
  });
const tested = await runCommand([path.join(root, 'node_modules/.bin/jest'), ...process.argv.slice(2)], false);
let checked = beside.result;
if (!checked) {
  try {
    beside.stop();
  } catch {
    // Already gone.
  }
  await beside.done;
  process.stdout.write('\nthe checks had not finished beside the suite: running them now\n');
  checked = await runCommand(CHECKS, true);
}
process.stdout.write(`\n${checked.output}`);
if (!checked.ok) process.stderr.write(`the checks failed (above); the suite ${tested.ok ? 'passed' : 'failed too'}\n`);
process.exit(tested.ok && checked.ok ? 0 : 1);
