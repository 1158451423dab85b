// `node bench/profile.mjs [create|track|timeline] [api|stack]`: a CPU
// profile of one server under one operation's load, and its top frames.
// The server (the API, or the stack floor) runs on its own engine with
// `node --cpu-prof`; after a warm-up, the profile covers BENCH_SECONDS
// (default 20) of load at BENCH_CONCURRENCY (default 8). Prints the frames
// with the most self time and the functions with the most total time (a
// frame's time with everything it called, counted once per sample), as
// shares of the samples while the server was busy (idle and GC apart).
// Needs a build (npm run build). The .cpuprofile stays in the printed folder.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const op = process.argv[2] ?? 'track';
const kind = process.argv[3] ?? 'api';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONCURRENCY ?? 8);
const TOP = Number(process.env.PROFILE_TOP ?? 25);

const kids = [];
process.on('exit', () => kids.forEach((k) => k.kill('SIGKILL')));
function start(cmd, args, env, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    kids.push(child);
    let out = '';
    const onData = (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve({ child, value: m[1] });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out.slice(-400)}`)));
  });
}

const engine = await start(
  join(root, 'node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb'),
  ['--host=127.0.0.1', '--port=0', '--database=profile'],
  {},
  /JONGODB_URI=(\S+)/,
);
const dir = mkdtempSync(join(tmpdir(), 'cpu-prof-'));
const script = kind === 'api' ? 'packages/api/dist/cli/serve.js' : 'bench/stack-floor-server.mjs';
const server = await start(
  process.execPath,
  ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(root, script)],
  { MONGODB_URI: engine.value, PORT: '0', NODE_ENV: 'production', RATE_LIMIT: 'off', LOG_LEVEL: 'warn' },
  /ready at (http:\/\/\S+\/graphql)/,
);

const FIELDS =
  'id ticketNumber subject description status priority source customerEmail customerName chatId createdAt updatedAt firstResponseAt resolvedAt closedAt resolutionNotes timeline { id kind at message }';
const INPUT = { customerEmail: 'bench@example.com', customerName: 'Bench', subject: 'Profile', description: 'd' };
const QUERY = {
  create: `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ${FIELDS} } }`,
  track: `query($ticketNumber: String!, $email: String!) { trackTicket(ticketNumber: $ticketNumber, email: $email) { ${FIELDS} } }`,
  timeline: `query($ticketNumber: String!, $email: String!) { ticketTimeline(ticketNumber: $ticketNumber, email: $email) { id kind at message } }`,
};
const post = (body) =>
  fetch(server.value, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const made = await (await post({ query: QUERY.create, variables: { input: INPUT } })).json();
const lookup = { ticketNumber: made.data.createTicket.ticketNumber, email: 'bench@example.com' };
const body = JSON.stringify({ query: QUERY[op], variables: op === 'create' ? { input: INPUT } : lookup });
const run = (duration) =>
  autocannon({
    url: server.value.replace(/\/graphql$/, ''),
    connections: CONNECTIONS,
    duration,
    requests: [{ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body }],
  });
await run(5); // warm-up (in the profile too, but far smaller than the load below for lookups)
const t0 = performance.now();
const r = await run(SECONDS);
const t1 = performance.now();
server.child.kill('SIGTERM');
await new Promise((ok) => server.child.once('exit', ok));
// The measured load's window on the profile's clock (its end is the exit): start-up, warm-up and shutdown left out.
const fromEnd = [(performance.now() - t0) * 1000, (performance.now() - t1) * 1000];
engine.child.kill('SIGTERM');

const file = join(
  dir,
  readdirSync(dir).find((f) => f.endsWith('.cpuprofile')),
);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n) => {
  const f = n.callFrame;
  const path = f.url.startsWith('file:') ? fileURLToPath(f.url) : f.url;
  const where = path.startsWith('/') ? relative(root, path) : path;
  return `${f.functionName || '(anonymous)'} ${where.replace(/^node_modules\//, '')}:${f.lineNumber + 1}`;
};
const counts = new Map();
let at = profile.startTime;
profile.samples.forEach((s, i) => {
  at += profile.timeDeltas[i];
  if (at >= profile.endTime - fromEnd[0] && at <= profile.endTime - fromEnd[1]) counts.set(s, (counts.get(s) ?? 0) + 1);
});
const IDLE = new Set(['(idle)', '(program)', '(garbage collector)']);
let busy = 0;
let gc = 0;
const self = new Map();
const total = new Map();
for (const [id, count] of counts) {
  const node = byId.get(id);
  const name = node.callFrame.functionName;
  if (name === '(garbage collector)') gc += count;
  if (IDLE.has(name)) continue;
  busy += count;
  self.set(label(node), (self.get(label(node)) ?? 0) + count);
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const l = label(byId.get(n));
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + count);
  }
}
const lines = [];
const pct = (x) => `${((100 * x) / busy).toFixed(1)}%`;
const top = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP);
lines.push(
  `# ${kind} ${op}, c=${CONNECTIONS}, ${SECONDS}s: ${Math.round(r.requests.average)} rps, ${busy} busy samples (GC ${gc} more), profile ${file}`,
);
lines.push('', '| self | frame |', '| ---: | --- |');
for (const [l, c] of top(self)) lines.push(`| ${pct(c)} | \`${l}\` |`);
lines.push('', '| total | function |', '| ---: | --- |');
for (const [l, c] of top(total).filter(([l]) => !l.startsWith('(root)'))) lines.push(`| ${pct(c)} | \`${l}\` |`);
// Written before exiting: a pipe's writes are asynchronous, and process.exit would cut them short.
process.stdout.write(lines.join('\n') + '\n', () => process.exit(0));
