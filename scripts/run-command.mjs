// One command of the repository's scripts (build.mjs, checks.mjs), run from
// the repository's root: its output goes to the terminal, or (quiet) is kept
// for the caller to print when it wants.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Whether `command` passed, and (quiet) everything it printed. */
export function runCommand([cmd, ...args], quiet) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let output = '';
    child.stdout?.on('data', (c) => {
      output += c;
    });
    child.stderr?.on('data', (c) => {
      output += c;
    });
    child.on('error', (err) => {
      output += `${err.message}\n`;
    });
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
}
