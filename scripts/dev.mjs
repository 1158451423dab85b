// `npm run dev`: build what changed, then serve the API and restart it
// whenever its code changes: tsc --watch rebuilds packages/api/dist
// incrementally and `node --watch` restarts the server when a file it
// loaded changes. Only the server's log and compile errors are printed.
// Arguments after `--` go to the server (`npm run dev -- --fresh`).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const children = [];

function start(command, args, options = {}) {
  const child = spawn(command, args, { cwd: root, ...options });
  children.push(child);
  return child;
}

function stopAll(code) {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exitCode = code;
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

const built = start(process.execPath, [path.join(root, 'scripts/build.mjs'), '--quiet'], { stdio: 'inherit' });
built.on('exit', (code) => {
  if (code !== 0) return stopAll(code ?? 1);
  // Compile errors only: tsc's "Starting compilation" chatter would bury the server's log.
  const tsc = start(
    path.join(root, 'node_modules/.bin/tsc'),
    ['-p', 'packages/api/tsconfig.build.json', '--watch', '--preserveWatchOutput'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let pending = '';
  tsc.stdout.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop();
    for (const line of lines) if (/error TS\d+|Found [1-9]\d* errors?/.test(line)) process.stderr.write(`${line}\n`);
  });
  start(
    process.execPath,
    ['--watch', '--watch-preserve-output', 'packages/api/dist/cli/serve.js', ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  for (const child of children)
    child.on('exit', (code, signal) => {
      if (!signal && code !== 0) stopAll(code ?? 1);
    });
});
