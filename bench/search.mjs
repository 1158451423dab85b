// `BENCH_OPS=search npm run bench` (or `npm run bench -- search`): search at
// size. Seeds BENCH_SEARCH_SIZES tickets (default 10 000, then 100 000: the
// same database grown) of 5 events each with varied text from a fixed-seed
// generator (support words, a long tail of rare words, names with accents,
// emails), written in bulk with the driver (BENCH_SEARCH_SEED_BATCH tickets
// a call, default 2 000), each ticket with the words
// the API's own analyser gives its texts (dist/search/search-words.js: the
// `searchWords` a create and its replies and notes would have written), not
// through the API (100 000 creates take hours on jongodb). At each size: p50/p95/p99 and CPU per query (API server and
// engine) of BENCH_SEARCH_QUERIES searchTickets calls over HTTP (default
// 300: common words, rare words, a prefix last word, a quoted phrase, a
// ticket number, an email; two words each where words), one at a time;
// beside them, in the same run and interleaved, a `tickets(first: 20)`
// listing through the API and the bare driver's find of one word on the
// tickets' words (the least any lookup in this index costs the engine). Then
// createTicket's CPU (server and engine, change feed included: run.mjs's
// `load`) with search indexing on and off (SEARCH_INDEXING), paired rounds
// taking turns, on the grown database (MONGODB_URI) or, on jongodb, on 1 000
// tickets of their own (BENCH_SEARCH_CREATE_TICKETS). Needs a build (npm
// run bench builds first).
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MongoClient, ObjectId } from 'mongodb';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SIZES = (process.env.BENCH_SEARCH_SIZES ?? '10000,100000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_SEARCH_QUERIES ?? 300);
const CREATE_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CREATE_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const TOKEN = 'bench-search-agent-token-0123456789abcdef';
/**
 * Tickets per bulk write (BENCH_SEARCH_SEED_BATCH; their events go in one
 * insertMany too). On jongodb each insert is checked against every document
 * already there, and a statement adds its own overhead: measured to 15 000
 * documents, batches of 100 cost about ten times the engine CPU of batches
 * of 1 000, and batches of 5 000 about half that again.
 */
const BATCH = Number(process.env.BENCH_SEARCH_SEED_BATCH ?? 2000);
/**
 * Seconds of seeding allowed in all: jongodb keeps a collection as a list and
 * checks every insert's _id against all of it, so an insert costs in
 * proportion to the collection (measured) and seeding grows with its square.
 * Past the budget, the sizes not reached are projected from the last batch's
 * cost per document (tickets and events apart), and the measures run at the
 * size reached.
 */
const SEED_SECONDS = Number(process.env.BENCH_SEARCH_SEED_SECONDS ?? 900);
/**
 * The database the creates are measured on (BENCH_SEARCH_CREATE_TICKETS):
 * with MONGODB_URI, the grown one; on jongodb, one of its own with 1 000
 * tickets. There a write re-checks each unique index against the whole
 * collection, at a cost growing with its square: at 10 000 tickets and
 * 50 000 events one insert holds its collection longer than the API's
 * database timeout, and a few creates took minutes to reach the change
 * feed. That measures the engine, not what search adds to a create.
 */
const CREATE_TICKETS = process.env.BENCH_SEARCH_CREATE_TICKETS
  ? Number(process.env.BENCH_SEARCH_CREATE_TICKETS)
  : process.env.MONGODB_URI
    ? null
    : 1000;

// ---------------------------------------------------------------- text
// A fixed-seed generator (mulberry32): the same tickets and queries every run.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const FUNCTION_WORDS =
  'the a to and i my is it of for in on not with this that have be you we was can but at please from are when after your our an as or if so do there has will all me any just no out now again still one get been would could should'.split(
    ' ',
  );
const SUPPORT_WORDS =
  'printer order invoice password login account email payment refund shipping delivery package error page app update screen phone laptop server network wifi connection report export file upload download access issue problem help support team ticket customer billing subscription plan card charge price discount code coupon cart checkout address label tracking return exchange warranty repair battery charger cable keyboard mouse monitor display driver install version crash slow freeze sync backup restore reset settings profile notification message chat call week yesterday today morning evening monday friday office floor room building meeting calendar invite license key activation trial cancel renew contract quote manager admin user users permission role group folder share link browser chrome firefox safari windows mac android iphone tablet camera scanner toner paper jam tray fuser cartridge queue spooler vpn firewall proxy certificate domain dns mailbox outlook attachment signature spam filter sales demo onboarding training documentation api webhook integration token timeout latency outage database migration import csv spreadsheet invoice receipt tax vat currency bank transfer overdue reminder'.split(
    ' ',
  );
const SYLLABLES =
  'ka lo mi ne ru sa ti vo be da fe gi hu jo ky la mo ni pe qu re si tu va we xo ya zu bra cle dri fro gle pla tre'.split(
    ' ',
  );
// A long tail of rare words (pronounceable, distinct): product names, places, error codes in real tickets.
const RARE = (() => {
  const r = rng(7);
  const out = new Set();
  while (out.size < 30_000) {
    const n = 2 + Math.floor(r() * 3);
    out.add(Array.from({ length: n }, () => SYLLABLES[Math.floor(r() * SYLLABLES.length)]).join(''));
  }
  return [...out];
})();
/** Every word by rank: a word's use falls as 1/rank (Zipf), as in real text. */
const VOCAB = [...FUNCTION_WORDS, ...SUPPORT_WORDS, ...RARE];
const FIRST =
  'Ada Grace Alan Linus Margaret José Zoë Renée Björn Søren Chloé Ana María Lucía Jürgen François Hélène Noémie Ömer Zoltán Ñuño Ingrid Priya Wei Yuki Omar Fatima Liam Emma Olivia Noah Mia Lucas Sofia Mateo Léa Hugo Inès Jakub Agnieszka Tomás Aoife Siobhán Kai Nora Elif Dmitri Olga'.split(
    ' ',
  );
const LAST =
  'Lovelace Hopper Turing Torvalds Hamilton García Müller Dubois Núñez Østergaard Kowalski Nováková Łukasiewicz Smith Jones Brown Nguyen Kim Tanaka Rossi Bianchi Silva Santos Fernández López Martin Bernard Petit Schmidt Schneider Fischer Weber Meyer Wagner Becker Hoffmann Jansen Visser Andersson Johansson Nielsen Hansen Korhonen Virtanen Yılmaz Kaya Demir Popescu Ivanova'.split(
    ' ',
  );
const DOMAINS = 'example.com example.org mail.example.net corp.example.io shop.example.de'.split(' ');
const CUSTOMERS = 20_000;
const ascii = (s) =>
  s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
const customer = (c) => {
  const first = FIRST[c % FIRST.length];
  const last = LAST[Math.floor(c / FIRST.length) % LAST.length];
  return { name: `${first} ${last}`, email: `${ascii(first)}.${ascii(last)}${c}@${DOMAINS[c % DOMAINS.length]}` };
};
const zipf = (r) => VOCAB[Math.floor(Math.exp(r() * Math.log(VOCAB.length))) - 1];
const words = (r, min, max) => Array.from({ length: min + Math.floor(r() * (max - min + 1)) }, () => zipf(r));
const sentence = (r, min, max) => {
  const w = words(r, min, max);
  w[0] = w[0][0].toUpperCase() + w[0].slice(1);
  return `${w.join(' ')}.`;
};
const STATUSES = ['OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED'];

/** Ticket `i`'s texts, the same every time they are asked for (the queries are drawn from them). */
function texts(i) {
  const r = rng(1000 + i);
  const c = customer(Math.floor(r() * CUSTOMERS));
  return {
    ...c,
    subject: words(r, 4, 9).join(' '),
    description: sentence(r, 20, 60),
    reply: sentence(r, 15, 45),
    customerReply: sentence(r, 10, 30),
    note: sentence(r, 5, 20),
    answer: sentence(r, 15, 45),
    status: STATUSES[Math.floor(r() * STATUSES.length)],
  };
}
const ticketNumber = (i) => `TKT-${String(i + 1).padStart(5, '0')}`;

// ---------------------------------------------------------------- seeding
/**
 * Tickets `from`..`to`-1 as the API stores them (shapes copied from what
 * its writes leave), with the words the API's analyser gives their texts,
 * and their events.
 */
async function seed(db, from, to, { searchWords }, deadline) {
  const t0 = performance.now();
  const base = Date.UTC(2026, 0, 1) / 1000;
  let words = 0;
  let reached = from;
  /** The last batch's insert cost per document (ms) of each collection, and the documents in it then. */
  let last = { tickets: { ms: NaN, size: 0 }, events: { ms: NaN, size: 0 } };
  for (let start = from; start < to; start += BATCH) {
    if (performance.now() > deadline) break;
    const tickets = [];
    const events = [];
    for (let i = start; i < Math.min(to, start + BATCH); i++) {
      const x = texts(i);
      // One ticket every 5 minutes of 2026 onward: ids and dates grow with the number.
      const created = new Date((base + i * 300) * 1000);
      const _id = ObjectId.createFromTime(base + i * 300);
      const at = (m) => new Date(created.getTime() + m * 60_000);
      const ticket = {
        _id,
        subject: x.subject,
        description: x.description,
        status: x.status,
        priority: 'NORMAL',
        source: 'WEB',
        customerEmail: x.email,
        customerName: x.name,
        lastSequence: 5,
        createdAt: created,
        updatedAt: at(90),
        sequence: i + 1,
        ticketNumber: ticketNumber(i),
        firstResponseAt: at(20),
        awaitingAgent: false,
        statusChangedAt: at(90),
      };
      tickets.push(ticket);
      const ev = (n, kind, minutes, message, visibility = 'PUBLIC', actor = 'agent') => ({
        _id: new ObjectId(),
        ticketId: _id,
        at: at(minutes),
        sequence: n,
        kind,
        visibility,
        ...(message !== undefined && { message }),
        actor,
        pending: false,
      });
      const own = [
        ev(1, 'CREATED', 0),
        ev(2, 'FIRST_RESPONSE', 20, x.reply),
        ev(3, 'CUSTOMER_REPLY', 45, x.customerReply, 'PUBLIC', 'customer'),
        ev(4, 'INTERNAL_NOTE', 60, x.note, 'INTERNAL'),
        ev(5, 'AGENT_RESPONSE', 90, x.answer),
      ];
      events.push(...own);
      // The API's analyser: the words its create, replies and notes would have left on the ticket.
      ticket.searchWords = searchWords(ticket, own);
      words += ticket.searchWords.length;
    }
    const t = performance.now();
    await db.collection('tickets').insertMany(tickets, { ordered: false });
    const e = performance.now();
    await db.collection('ticket_events').insertMany(events, { ordered: false });
    last = {
      tickets: { ms: (e - t) / tickets.length, size: start + tickets.length / 2 },
      events: { ms: (performance.now() - e) / events.length, size: (start + tickets.length / 2) * 5 },
    };
    reached = start + tickets.length;
    process.stderr.write(
      `  seeded ${reached} tickets (${fmt((performance.now() - t0) / 1000, 0)} s; the last batch: ${fmt(last.tickets.ms, 2)} ms a ticket, ${fmt(last.events.ms, 2)} ms an event)\n`,
    );
  }
  await db.collection('counters').updateOne({ _id: 'ticketNumber' }, { $set: { seq: reached } }, { upsert: true });
  return { ms: performance.now() - t0, words, reached, last };
}

// ---------------------------------------------------------------- queries
/** The query mix: each kind drawn from a random ticket's own texts (so most have matches), fixed seed. */
function queries(size, n) {
  const r = rng(99 + size);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const wordsOf = (s) => s.toLowerCase().match(/\p{L}+/gu) ?? [];
  const rank = new Map(VOCAB.map((w, i) => [w, i]));
  const COMMON = [...FUNCTION_WORDS, ...SUPPORT_WORDS];
  const kinds = {
    // Two of the most used words (each in a large share of the tickets).
    common: () => `${pick(SUPPORT_WORDS.slice(0, 40))} ${pick(COMMON.slice(0, 60))}`,
    // Two of one ticket's rarest words.
    rare: () => {
      const x = texts(Math.floor(r() * size));
      const ws = [...new Set(wordsOf(`${x.description} ${x.reply}`))].sort(
        (a, b) => (rank.get(b) ?? 0) - (rank.get(a) ?? 0),
      );
      return `${ws[0]} ${ws[1] ?? ws[0]}`;
    },
    // A subject word, then the start of another (someone typing).
    prefix: () => {
      const ws = wordsOf(texts(Math.floor(r() * size)).subject).filter((w) => w.length >= 4);
      const a = pick(ws) ?? 'printer';
      const b = pick(ws) ?? 'paper';
      return `${a} ${b.slice(0, 3 + Math.floor(r() * (b.length - 3)))}`;
    },
    // Two consecutive words of a subject, quoted.
    phrase: () => {
      const ws = wordsOf(texts(Math.floor(r() * size)).subject);
      const k = Math.floor(r() * Math.max(1, ws.length - 1));
      return `"${ws[k]} ${ws[k + 1] ?? ''}"`.replace(' "', '"');
    },
    number: () => ticketNumber(Math.floor(r() * size)),
    email: () => texts(Math.floor(r() * size)).email,
  };
  const names = Object.keys(kinds);
  return Array.from({ length: n }, (_, i) => ({ kind: names[i % names.length], q: kinds[names[i % names.length]]() }));
}

const SEARCH =
  'query($q: String!) { searchTickets(query: $q, first: 20) { edges { node { ticketNumber subject customerName status updatedAt } } pageInfo { hasNextPage endCursor } } }';
const LIST =
  'query { tickets(first: 20) { edges { node { ticketNumber subject customerName status updatedAt } } pageInfo { hasNextPage endCursor } } }';

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

/**
 * What seeding `target` tickets would take on from `have`, if a document's
 * insert keeps costing in proportion to the documents already in its
 * collection (as measured on jongodb): the integral of that cost up to the
 * target, tickets and events (5 a ticket) apart.
 */
function projectSeeding(target, have, last) {
  const part = ({ ms, size }, perTicket) => {
    const per = ms / Math.max(1, size);
    const [a, b] = [have * perTicket, target * perTicket];
    return (per * (b * b - a * a)) / 2;
  };
  const hours = (part(last.tickets, 1) + part(last.events, 5)) / 3_600_000;
  return `${target} tickets: not reached within BENCH_SEARCH_SEED_SECONDS=${SEED_SECONDS} (at ${have}); projected ${fmt(hours, 1)} more hours of seeding on this engine (the last batch: a ticket's insert ${fmt(last.tickets.ms, 2)} ms at ${fmt(last.tickets.size, 0)} tickets, an event's ${fmt(last.events.ms, 2)} ms at ${fmt(last.events.size, 0)} events, each in proportion to its collection)`;
}

/** Until no ticket lacks its words (at most 5 minutes). */
async function allIndexed(client) {
  const tickets = client.db().collection('tickets');
  for (const end = Date.now() + 300_000; Date.now() < end; await new Promise((r) => setTimeout(r, 1000)))
    if (!(await tickets.countDocuments({ searchWords: { $exists: false } }, { limit: 1 }))) return;
  throw new Error('tickets written with search indexing off were not indexed within 5 minutes');
}

export async function searchBench({ engine, apiServer, stop, cpuMs, settle, load }) {
  const analyser = await import(join(root, 'packages/api/dist/search/search-words.js'));
  const started = performance.now();
  const db = await engine('search');
  const client = await MongoClient.connect(db.uri);
  const mdb = client.db();
  /** One GraphQL call: its data, or the error's code (a search past DB_TIMEOUT_MS answers SERVICE_UNAVAILABLE). */
  const gql = async (url, query, variables) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.json();
    if (res.ok && !body.errors) return { data: body.data };
    const error = body.errors?.[0]?.extensions?.code ?? `HTTP ${res.status}`;
    if (error !== 'SERVICE_UNAVAILABLE')
      throw new Error(`${query.slice(0, 40)}: ${JSON.stringify(body).slice(0, 300)}`);
    return { error };
  };
  /** Wall ms and CPU ms (API server, engine) of one call. */
  const timed = async (pid, fn) => {
    const c0 = cpuMs(pid);
    const e0 = cpuMs(db.pid);
    const t0 = performance.now();
    const out = await fn();
    return { ms: performance.now() - t0, cpu: cpuMs(pid) - c0, engine: cpuMs(db.pid) - e0, out };
  };

  const sections = [];
  /** Sizes not reached within the seeding budget, with what seeding them would take. */
  const notReached = [];
  let have = 0;
  let words = 0;
  let seedMs = 0;
  let last = null;
  for (const target of SIZES) {
    if (notReached.length) {
      notReached.push(projectSeeding(target, have, last));
      continue;
    }
    process.stderr.write(`search: seeding to ${target} tickets\n`);
    const seeded = await seed(mdb, have, target, analyser, performance.now() + SEED_SECONDS * 1000 - seedMs);
    seedMs += seeded.ms;
    words += seeded.words;
    last = seeded.last;
    const seedNote = `${seeded.reached - have} tickets added in ${fmt(seeded.ms / 1000, 0)} s (${fmt(((seeded.reached - have) * 1000) / seeded.ms, 1)} tickets/s; the last batch: ${fmt(last.tickets.ms, 2)} ms a ticket, ${fmt(last.events.ms, 2)} ms an event to insert)`;
    if (seeded.reached < target) notReached.push(projectSeeding(target, seeded.reached, last));
    if (seeded.reached === have) break;
    const size = (have = seeded.reached);
    const api = await apiServer(db, { AGENT_TOKENS: TOKEN });
    // Warm-up: the JIT and the pools, on queries of the same mix (not counted).
    for (const { q } of queries(size + 1, 12)) await gql(api.url, SEARCH, { q });
    await gql(api.url, LIST);
    await settle([api.child.pid, db.pid]);
    const rows = {};
    const add = (name, m, hits) => {
      const r = (rows[name] ??= { ms: [], cpu: 0, engine: 0, hits: [], errors: 0 });
      r.ms.push(m.ms);
      if (m.out?.error) r.errors++;
      r.cpu += m.cpu;
      r.engine += m.engine;
      if (hits !== undefined) r.hits.push(hits);
    };
    const tickets = mdb.collection('tickets');
    const qs = queries(size, QUERIES);
    for (const [i, { kind, q }] of qs.entries()) {
      // Interleaved, so a noisy moment on this shared machine hits search and its baselines alike.
      const s = await timed(api.child.pid, () => gql(api.url, SEARCH, { q }));
      add(kind, s, s.out.data?.searchTickets.edges.length);
      add('all searches', s);
      add('tickets(first: 20) listing', await timed(api.child.pid, () => gql(api.url, LIST)));
      const w = q.match(/\p{L}{3,}/u)?.[0]?.toLowerCase() ?? 'printer';
      add(
        'driver: find one word (floor)',
        await timed(undefined, () => tickets.find({ searchWords: w }).sort({ _id: -1 }).limit(20).toArray()),
      );
      if ((i + 1) % 50 === 0) process.stderr.write(`  ${size}: ${i + 1}/${qs.length} queries\n`);
    }
    await stop(api);
    const order = ['all searches', 'common', 'rare', 'prefix', 'phrase', 'number', 'email'];
    const table = [
      `## ${size} tickets, ${size * 5} events, ${fmt(words / size, 0)} words a ticket; seeding: ${seedNote}`,
      '',
      '| query | n | p50 ms | p95 ms | p99 ms | API CPU ms/query | engine CPU ms/query | results (median of 20) | timed out |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...[...order, 'tickets(first: 20) listing', 'driver: find one word (floor)'].map((name) => {
        const r = rows[name];
        if (!r) return `| ${name} | 0 | | | | | | | |`;
        const n = r.ms.length;
        const bold = name === 'all searches' ? (x) => `**${x}**` : (x) => x;
        return `| ${name} | ${n} | ${fmt(pct(r.ms, 50))} | ${bold(fmt(pct(r.ms, 95)))} | ${fmt(pct(r.ms, 99))} | ${name.startsWith('driver') ? '-' : fmt(r.cpu / n)} | ${fmt(r.engine / n)} | ${r.hits.length ? pct(r.hits, 50) : '-'} | ${r.errors} |`;
      }),
      '',
    ];
    sections.push(...table);
    console.error(table.join('\n'));
  }

  // A create's CPU, indexing on and off, paired rounds taking turns: on the grown database, or one of CREATE_TICKETS.
  let created = { db, have, client, own: false };
  if (CREATE_TICKETS !== null && CREATE_TICKETS !== have) {
    const own = await engine('search_create');
    const ownClient = await MongoClient.connect(own.uri);
    process.stderr.write(`search: seeding ${CREATE_TICKETS} tickets for the creates\n`);
    const seeded = await seed(ownClient.db(), 0, CREATE_TICKETS, analyser, Infinity);
    created = { db: own, have: seeded.reached, client: ownClient, own: true };
  }
  const input = (() => {
    const x = texts(424242);
    return { customerEmail: x.email, customerName: x.name, subject: x.subject, description: x.description };
  })();
  const cells = { on: [], off: [] };
  for (let round = 0; round < CREATE_ROUNDS; round++) {
    for (const mode of round % 2 ? ['off', 'on'] : ['on', 'off']) {
      const api = await apiServer(created.db, { AGENT_TOKENS: TOKEN, SEARCH_INDEXING: mode });
      if (round === 0) await load(api, 'create', 4, null, 2, input); // warm-up, not counted
      // An "off" round leaves tickets without words, which an "on" process indexes in the background: not its creates' cost.
      if (mode === 'on') await allIndexed(created.client);
      await settle([api.child.pid, created.db.pid]);
      cells[mode].push(await load(api, 'create', 4, null, CREATE_SECONDS, input));
      await stop(api);
      process.stderr.write(
        `  create round ${round} ${mode}: ${cells[mode].at(-1).n} creates, API ${fmt(cells[mode].at(-1).cpuPerReq, 2)} ms, engine ${fmt(cells[mode].at(-1).engineCpuPerReq, 2)} ms\n`,
      );
    }
  }
  const createdAtEnd = await created.client.db().collection('tickets').countDocuments();
  await client.close();
  await db.stop();
  if (created.own) {
    await created.client.close();
    await created.db.stop();
  }
  const med = (xs) => pct(xs, 50);
  const per = (mode, key) => med(cells[mode].map((c) => c[key]));
  const ratios = (key) => cells.on.map((c, i) => c[key] / cells.off[i][key]).filter(Number.isFinite);
  const ratioCell = (key) => {
    const rs = ratios(key);
    return rs.length ? `**${med(rs).toFixed(2)}x** (${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)})` : '-';
  };
  const total = (c) => c.cpuPerReq + c.engineCpuPerReq;
  const totalRatios = cells.on.map((c, i) => total(c) / total(cells.off[i])).filter(Number.isFinite);
  console.log(
    [
      `# search: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0].toFixed(1)}, engine: ${db.name}`,
      `# tickets of 5 events (created, first response, customer reply, internal note, answer) with generated text, seeded in bulk with the driver, each with the words the API's own analyser gives its texts (dist/search/search-words.js), not through the API`,
      `# ${QUERIES} searchTickets per size over HTTP, one at a time, first: 20, a mix of six kinds; interleaved with the same number of tickets(first: 20) listings and bare-driver finds of one word`,
      '',
      ...sections,
      ...(notReached.length ? ['Not reached:', '', ...notReached.map((n) => `- ${n}`), ''] : []),
      `## createTicket on ${created.own ? `a database of its own, ${created.have} tickets, ${createdAtEnd} at the end (BENCH_SEARCH_CREATE_TICKETS; on jongodb a write's cost grows with the square of its collection)` : `the ${have}-ticket database`}: ${CREATE_ROUNDS} paired rounds of ${CREATE_SECONDS} s, 4 connections, a generated subject and 20-60-word description; CPU per ticket made (change feed included); the background pollers' CPU during the slice is billed to its creates too`,
      '',
      '| search indexing | creates | API CPU ms | engine CPU ms | API + engine ms |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...['off', 'on'].map(
        (m) =>
          `| ${m} | ${cells[m].reduce((a, c) => a + c.n, 0)} | ${fmt(per(m, 'cpuPerReq'), 2)} | ${fmt(per(m, 'engineCpuPerReq'), 2)} | ${fmt(med(cells[m].map(total)), 2)} |`,
      ),
      `| **on / off** (median of paired rounds, range) | | ${ratioCell('cpuPerReq')} | ${ratioCell('engineCpuPerReq')} | **${fmt(med(totalRatios), 2)}x** (${fmt(Math.min(...totalRatios), 2)}-${fmt(Math.max(...totalRatios), 2)}) |`,
      '',
      `(total bench time ${fmt((performance.now() - started) / 1000, 0)} s)`,
    ].join('\n'),
  );
}
