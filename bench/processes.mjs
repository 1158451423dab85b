// The processes a bench starts (engines, API servers, floors): started by
// `start`, which resolves once their output says they are ready, and all
// killed when the bench exits, however it ends. Shared by run.mjs and the
// benches it loads (search.mjs).
import { spawn } from 'node:child_process';

export const kids = new Set();
const cleanup = () => {
  for (const k of kids)
    try {
      k.kill('SIGKILL');
    } catch {
      /* gone already */
    }
};
process.on('exit', cleanup);

/** Start `cmd`; resolves with the child and the first group of `ready` once its stdout matches. */
export function start(cmd, args, env, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    kids.add(child);
    let out = '';
    const onData = (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve({ child, value: m[1] });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out.slice(-400)}`)));
  });
}

/** Stop a started child and wait until it is gone. */
export async function stopChild(child) {
  child.kill('SIGTERM');
  kids.delete(child);
  await new Promise((r) => child.once('exit', r));
}
