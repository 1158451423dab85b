// `npm run web`: the API on the embedded engine (with demo tickets) and the
// built web app, served by `vite preview`, which proxies /graphql to it.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(web, '../..');
const apiPort = process.env.API_PORT ?? '4000';
const webPort = process.env.WEB_PORT ?? '5173';
const kids = [];
const stopAll = (code) => {
  for (const k of kids) k.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500);
};
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

/** Start a child, echo its output, resolve with what it printed once `ready` matches. */
function run(cmd, args, opts, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'inherit'] });
    kids.push(child);
    let out = '';
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      out += d;
      if (ready.test(out)) resolve(out);
    });
    child.on('exit', (code) => {
      reject(new Error(`${cmd} exited with ${code}`));
      stopAll(code ?? 1);
    });
  });
}

// The demo API signs a chat link with CHAT_SIGNING_SECRET (or a key of its own for this run) and prints it,
// then the agent sign-in (a token of its own when AGENT_TOKENS is empty), the last thing it prints.
const apiOut = await run(
  process.execPath,
  [join(root, 'packages/api/dist/cli/serve.js'), '--demo'],
  { env: { ...process.env, PORT: apiPort, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' } },
  /Agent sign-in[\s\S]*\n\n/,
);
const chatLink = /\/create\?chatId=\S+/.exec(apiOut)?.[0];
await run(
  process.execPath,
  [join(root, 'node_modules/vite/bin/vite.js'), 'preview', '--port', webPort, '--strictPort'],
  { cwd: web, env: { ...process.env, API_URL: `http://127.0.0.1:${apiPort}` } },
  /Local:/,
);
const base = `http://127.0.0.1:${webPort}`;
const token = /API token:\s+(\S+)/.exec(apiOut)?.[1];
const agentId = /Your agent id:\s+(\S+)/.exec(apiOut)?.[1];
console.log(`\nweb client ready:
  create from a chat: ${chatLink ? base + chatLink : '(no signed chat link was printed)'}
  create:             ${base}/create
  track a ticket:     ${base}/track   (try a demo ticket above, e.g. TKT-00004 with katherine@example.com)
  agent inbox:        ${base}/agent   ${token ? `(API token ${token}, agent id ${agentId})` : '(sign in with one of the AGENT_TOKENS secrets)'}
Ctrl-C stops both.`);
