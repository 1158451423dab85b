// One command of the repository's scripts (build.mjs, checks.mjs), run from
// the repository's root: its output goes to the terminal, or (quiet) is kept
// for the caller to print when it wants.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Start `command`: the child, and `done`, whether it passed and (quiet)
 * everything it printed. `detached`: in a process group of its own, so that
 * it can be stopped whole (test.mjs).
 */
export function startCommand([cmd, ...args], { quiet = false, detached = false } = {}) {
  const child = spawn(cmd, args, { cwd: root, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', detached });
  let output = '';
  child.stdout?.on('data', (c) => {
    output += c;
  });
  child.stderr?.on('data', (c) => {
    output += c;
  });
  const done = new Promise((resolve) => {
    child.on('error', (err) => {
      output += `${err.message}\n`;
    });
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
  return { child, done };
}

/** Whether `command` passed, and (quiet) everything it printed. */
export const runCommand = (command, quiet) => startCommand(command, { quiet }).done;
