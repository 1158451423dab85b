// `npm test`'s checks before the suite (the schema and docs/api.md, types,
// lint, formatting), run side by side: each is one process on one core, so
// together they take about as long as the longest instead of their sum. Each
// one's output is printed whole once it ends, in the order below; the exit
// code is 1 when any failed, and the last line names them.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHECKS = ['schema:check', 'typecheck', 'lint', 'format:check'];

/** One `npm run <name> --silent`: whether it passed, and everything it printed. */
const check = (name) =>
  new Promise((resolve) => {
    const child = spawn('npm', ['run', name, '--silent'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', (err) => (output += `${err.message}\n`));
    child.on('close', (code) => resolve({ name, ok: code === 0, output }));
  });

const results = await Promise.all(CHECKS.map(check));
for (const { output } of results) process.stdout.write(output);
const failed = results.filter((r) => !r.ok).map((r) => r.name);
if (failed.length) {
  process.stderr.write(`checks failed: ${failed.join(', ')} (npm run <name> runs one alone)\n`);
  process.exit(1);
}
