// `npm test`: the build, then the suite and the checks (checks.mjs: the
// schema and docs/api.md, types, lint, formatting) side by side. The suite's
// files spend much of their time waiting on the processes, sockets and
// timers they start; the checks, at the lowest CPU priority, use that time
// instead of running before the suite. On a machine busy with other work
// they may get no time at all: any still running when the suite ends are
// stopped and run again at the usual priority. Jest's output streams as it
// runs, the checks' is printed at the end; the exit code is 1 when either
// failed. Arguments go to jest (`npm test -- packages/api/test/unit`).
import { writeFileSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import path from 'node:path';
import { root, startCommand } from './run-command.mjs';

const CHECKS = [process.execPath, path.join(root, 'scripts/checks.mjs')];
const LOWEST = constants.priority.PRIORITY_LOW;

/** The commands running in the foreground: a signal this process gets is passed on to them (the checks are stopped). */
const foreground = new Set();
let stopping;

/** Run a command in the foreground, its output to the terminal; a signal to this process is passed on to it. */
function run(command) {
  const { child, done } = startCommand(command);
  foreground.add(child);
  return done.then((result) => {
    foreground.delete(child);
    if (stopping && !foreground.size) process.exit(128 + constants.signals[stopping]);
    return result;
  });
}

/**
 * checks.mjs in a process group (and session) of its own, so that it can be
 * stopped whole; `lowest`: at the lowest priority. On Linux its session is
 * also a scheduling group of its own, weighed against others by the group's
 * nice value (/proc/<pid>/autogroup), not its processes': both set.
 */
function checksApart(lowest) {
  const { child, done } = startCommand(CHECKS, { quiet: true, detached: true });
  if (lowest)
    try {
      setPriority(child.pid, LOWEST);
      writeFileSync(`/proc/${child.pid}/autogroup`, String(LOWEST));
    } catch {
      // Not on Linux, or not allowed: the checks get what they get.
    }
  const checks = { result: undefined, done: done.then((r) => (checks.result = r)) };
  checks.stop = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  return checks;
}

const built = run(['npm', 'run', 'build', '--silent']);
let beside = { stop: () => undefined };
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => {
    stopping = signal;
    beside.stop();
    for (const child of foreground) child.kill(signal);
    if (!foreground.size) process.exit(128 + constants.signals[signal]);
  });
if (!(await built).ok) process.exit(1);
beside = checksApart(true);
const tested = await run([path.join(root, 'node_modules/.bin/jest'), ...process.argv.slice(2)]);
let checked = beside.result;
if (!checked) {
  beside.stop();
  await beside.done;
  process.stdout.write('\nthe checks had not finished beside the suite: running them now\n');
  beside = checksApart(false);
  checked = await beside.done;
}
process.stdout.write(`\n${checked.output}`);
if (!checked.ok) process.stderr.write(`the checks failed (above); the suite ${tested.ok ? 'passed' : 'failed too'}\n`);
// Not process.exit: what was written to a pipe (a CI log) must get out first.
process.exitCode = tested.ok && checked.ok ? 0 : 1;
