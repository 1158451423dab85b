// `BENCH_OPS=search npm run bench`: searchTickets latency (p50/p95 of a
// two-word query, one client at a time) at BENCH_SEARCH_SIZES tickets of 5
// events each, and the API's CPU per createTicket with search indexing on
// and off (SEARCH_INDEXING=off). The tickets are written straight into the
// database with the API's own analyser (dist/search), as the write path
// would have indexed them. Needs a build (npm run bench builds first).
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { MongoClient, ObjectId } from 'mongodb';
import { start, stopChild as stop } from './processes.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIZES = (process.env.BENCH_SEARCH_SIZES ?? '10000,100000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_SEARCH_QUERIES ?? 200);
const CREATE_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CREATE_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TOKEN = 'bench-search-agent-token-0123456789abcdef';
const CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

const { ticketEntries, eventEntries } = await import(join(root, 'packages/api/dist/search/search.indexer.js'));

async function engine(name) {
  if (process.env.MONGODB_URI)
    return {
      uri: process.env.MONGODB_URI.replace(/\/[^/?]*(\?|$)/, `/bench_${name}_${Date.now()}$1`),
      name: 'MongoDB at MONGODB_URI',
      stop: async () => {},
    };
  const bin = join(root, 'node_modules/@jongodb/memory-server-bin-linux-x64-gnu/bin/jongodb');
  const { child, value } = await start(
    bin,
    ['--host=127.0.0.1', '--port=0', `--database=bench_${name}`],
    {},
    /JONGODB_URI=(\S+)/,
  );
  return { uri: value, name: 'jongodb (offline engine: every lookup scans)', stop: () => stop(child) };
}

const api = (uri, env = {}) =>
  start(
    process.execPath,
    [join(root, 'packages/api/dist/cli/serve.js')],
    {
      MONGODB_URI: uri,
      PORT: '0',
      NODE_ENV: 'production',
      RATE_LIMIT: 'off',
      LOG_LEVEL: 'warn',
      AGENT_TOKENS: TOKEN,
      ...env,
    },
    /ready at (http:\/\/\S+\/graphql)/,
  );

function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(x[11]) + Number(x[12])) * 1000) / CLK_TCK;
}

// A vocabulary with a Zipf-like use: a few words are everywhere, most are rare (as in real tickets).
let rng = 42;
const rand = () => (rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const VOCAB = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}x${'abcdefghij'[i % 10]}`);
const word = () =>
  VOCAB[Math.min(VOCAB.length - 1, Math.floor(1 / (rand() * 0.999 + 0.001)) + Math.floor(rand() * 50))];
const sentence = (n) => Array.from({ length: n }, word).join(' ');

async function seed(uri, count) {
  const client = await MongoClient.connect(uri);
  const db = client.db();
  const t0 = Date.now();
  const base = Date.now() - count * 1000;
  for (let from = 0; from < count; from += 1000) {
    const tickets = [],
      events = [],
      entries = [];
    for (let i = from; i < Math.min(count, from + 1000); i++) {
      const _id = ObjectId.createFromTime(Math.floor((base + i * 1000) / 1000));
      const at = new Date(base + i * 1000);
      const t = {
        _id,
        ticketNumber: `TKT-${String(i + 1).padStart(7, '0')}`,
        sequence: i + 1,
        eventSeq: 4,
        subject: sentence(6),
        description: sentence(40),
        status: 'OPEN',
        priority: 'NORMAL',
        source: 'WEB',
        customerEmail: `c${i}@example.com`,
        customerName: `Customer ${word()}`,
        createdAt: at,
        updatedAt: at,
      };
      tickets.push(t);
      const evs = [
        { kind: 'CREATED' },
        { kind: 'FIRST_RESPONSE', message: sentence(30) },
        { kind: 'INTERNAL_NOTE', message: sentence(15), visibility: 'INTERNAL' },
        { kind: 'AGENT_RESPONSE', message: sentence(30) },
        { kind: 'IN_PROGRESS', message: sentence(5) },
      ].map((e, j) => ({
        _id: new ObjectId(),
        ticketId: _id,
        at: new Date(at.getTime() + j),
        ticketSeq: j,
        visibility: 'PUBLIC',
        pending: false,
        ...e,
      }));
      events.push(...evs);
      entries.push(...ticketEntries(t), ...eventEntries(evs));
    }
    await db.collection('tickets').insertMany(tickets, { ordered: false });
    await db.collection('ticket_events').insertMany(events, { ordered: false });
    await db.collection('search_terms').insertMany(entries, { ordered: false });
  }
  await db.collection('counters').updateOne({ _id: 'ticket' }, { $set: { seq: count } }, { upsert: true });
  await client.close();
  return Date.now() - t0;
}

const SEARCH =
  'query($q: String!) { searchTickets(query: $q, first: 20) { edges { node { ticketNumber subject customerName status updatedAt } } } }';
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function searchLatency(url) {
  const times = [];
  for (let i = 0; i < QUERIES + 10; i++) {
    const q = `${word()} ${word()}`;
    const t = process.hrtime.bigint();
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query: SEARCH, variables: { q } }),
    });
    const body = await r.text();
    if (!r.ok || body.includes('"errors"')) throw new Error(`search failed: ${body.slice(0, 300)}`);
    if (i >= 10) times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { p50: pct(times, 50), p95: pct(times, 95) };
}

const CREATE = 'mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticketNumber } }';
async function createCpu(url, pid) {
  const before = cpuMs(pid);
  const r = await autocannon({
    url: url.replace(/\/graphql$/, '/graphql'),
    connections: 8,
    duration: CREATE_SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: CREATE,
      variables: {
        input: {
          customerEmail: 'bench@example.com',
          customerName: 'Bench Person',
          subject: 'Printer on floor three jams again',
          description: sentence(40),
        },
      },
    }),
  });
  await new Promise((res) => setTimeout(res, 500));
  return {
    cpuPerCreate: (cpuMs(pid) - before) / Math.max(1, r.requests.total),
    rps: r.requests.average,
    errors: r.errors + r.non2xx,
  };
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const lines = [];
const db = await engine('search');
for (const size of SIZES) {
  const uri = db.uri.replace(/\/([^/?]*)(\?|$)/, `/$1_${size}$2`);
  const seeded = await seed(uri, size);
  const { child, value: url } = await api(uri);
  const { p50, p95 } = await searchLatency(url);
  await stop(child);
  lines.push(`| ${size} | ${size * 5} | ${fmt(p50)} | ${fmt(p95)} | ${(seeded / 1000).toFixed(0)} s |`);
  console.error(`search at ${size}: p50 ${fmt(p50)} ms, p95 ${fmt(p95)} ms`);
}
// Create's CPU: the same empty database shape, indexing on and off, alternating rounds.
const cpu = { on: [], off: [] };
for (let round = 0; round < CREATE_ROUNDS; round++) {
  for (const mode of round % 2 ? ['off', 'on'] : ['on', 'off']) {
    const uri = db.uri.replace(/\/([^/?]*)(\?|$)/, `/$1_create_${mode}_${round}$2`);
    const { child, value: url } = await api(uri, { SEARCH_INDEXING: mode });
    await createCpu(url, child.pid); // warm-up
    cpu[mode].push((await createCpu(url, child.pid)).cpuPerCreate);
    await stop(child);
  }
}
await db.stop();
const med = (xs) => pct(xs, 50);
console.log(
  [
    `# search: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, engine: ${db.name}`,
    `# two-word queries (Zipf-like vocabulary of 5000 words), one at a time, ${QUERIES} each; tickets of 5 events`,
    '',
    '| tickets | events | p50 ms | p95 ms | seeding |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...lines,
    '',
    `# createTicket, 8 connections, ${CREATE_SECONDS} s x ${CREATE_ROUNDS} rounds: API CPU per create (median)`,
    '',
    '| indexing | CPU ms per create | ratio |',
    '| --- | ---: | ---: |',
    `| off | ${fmt(med(cpu.off), 3)} | 1.00 |`,
    `| on | ${fmt(med(cpu.on), 3)} | ${(med(cpu.on) / med(cpu.off)).toFixed(2)} |`,
    '',
  ].join('\n'),
);
process.exit(0);
