// How long `npm start` takes until the server's ready line, on the tree as
// it is (run it twice: the first run may build, the second shows a start
// with nothing changed). Usage: node scripts/start-time.mjs [runs]
// Each run uses a free port (PORT=0) and throw-away data (FRESH_DATA=1),
// and is stopped with SIGTERM once ready.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 3);
const TIMEOUT_MS = 120_000;

function once() {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('npm', ['start'], {
      cwd: root,
      detached: true,
      env: { ...process.env, PORT: '0', FRESH_DATA: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let readyMs = null;
    const stop = () => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`not ready within ${TIMEOUT_MS} ms:\n${out}`));
    }, TIMEOUT_MS);
    const watch = (chunk) => {
      out += chunk;
      if (readyMs === null && /ticket-api ready at/.test(out)) {
        readyMs = Number(process.hrtime.bigint() - started) / 1e6;
        stop();
      }
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.on('exit', () => {
      clearTimeout(timer);
      if (readyMs === null) reject(new Error(`exited before ready:\n${out}`));
      else resolve({ readyMs, lines: out.trim().split('\n').length });
    });
  });
}

for (let i = 1; i <= runs; i++) {
  const { readyMs, lines } = await once();
  console.log(`run ${i}: ready after ${(readyMs / 1000).toFixed(2)} s (${lines} lines of output)`);
}
