// `BENCH_OPS=webhooks npm run bench` (or `npm run bench -- webhooks`) and
// `BENCH_OPS=email-out`: how fast the feed's senders keep up with a burst.
//
// The burst is seeded in bulk, not through createTicket (the engine's own
// create rate, about 30 a second on jongodb, would be the figure): one
// ticket is made through the API as a template, and BENCH_NOTIFY_EVENTS
// (default 2 000) copies of it and of its CREATED event (each its own
// ticket, number and customer address) are inserted as the ticket store
// writes them, pending; then one createTicket through the API nudges its
// sequencer, which claims them all into the feed as it claims any write
// (batches, positions): real feed entries, read by the senders as any.
//
// webhooks: two webhooks (every kind) on receivers answering 204 at once,
// made before the burst; timed from the end of the inserts until both have
// every event; each receiver's deliveries a second (first to last), most
// requests in flight at once, and what it got compared with the feed's own
// order; the API's database commands meanwhile (a counting proxy). With
// BENCH_WEBHOOK_REPLAY=1, then a replay (after: null) of the first webhook
// alone, its deliveries a second (each one's record exists by then).
//
// email-out: one API process with email out to a local SMTP server (the
// smtp-server package, accepting at once); the burst's confirmations timed
// until every one arrived, messages a second, and their order.
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { execSync } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { MongoClient, ObjectId } from 'mongodb';
import { countingProxy } from './wire.mjs';

const N = Number(process.env.BENCH_NOTIFY_EVENTS ?? process.env.BENCH_WEBHOOK_EVENTS ?? 2000);
/** BENCH_WEBHOOK_REPLAY=1: also replay the first webhook alone (every delivery then updates a record: slow on jongodb). */
const REPLAY = process.env.BENCH_WEBHOOK_REPLAY === '1';
const LIMIT_MS = Number(process.env.BENCH_NOTIFY_LIMIT_SECONDS ?? 180) * 1000;
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

async function waitFor(done, limitMs = LIMIT_MS) {
  const t0 = performance.now();
  while (!(await done())) {
    if (performance.now() - t0 > limitMs) return false;
    await sleep(20);
  }
  return true;
}

/** Deliveries (or messages) a second from the first to the last of `times`. */
const rate = (times) => (times.length > 1 ? (times.length - 1) / ((times.at(-1) - times[0]) / 1000) : NaN);

function client(root, db, apiUrl) {
  const { token } = JSON.parse(
    execSync(
      `${JSON.stringify(process.execPath)} ${join(root, 'packages/api/dist/cli/tokens.js')} create --name bench --scopes webhooks:manage,tickets:read,tickets:write --json`,
      { env: { ...process.env, MONGODB_URI: db.uri } },
    ).toString(),
  );
  return async (query, variables) => {
    const res = await (
      await fetch(apiUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      })
    ).json();
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data;
  };
}

const CREATE = 'mutation($i: CreateTicketInput!) { createTicket(input: $i) { id ticketNumber } }';
const create = (gql, email) =>
  gql(CREATE, { i: { customerEmail: email, subject: 'burst', description: 'a notification bench ticket' } });

/** The feed's event ids in order after position `from`. */
async function feedIds(mongo, from = 0) {
  const batches = await mongo.collection('feed_batches').find({}).sort({ _id: 1 }).toArray();
  return batches
    .flatMap((b) => b.ids.map((id, i) => ({ seq: b._id + i, id: String(id) })))
    .filter((p) => p.seq > from)
    .map((p) => p.id);
}
const feedEnd = async (mongo) =>
  (await mongo.collection('feed_batches').find({}).sort({ _id: -1 }).limit(1).next())?.end ?? 0;

/** The template's copies, inserted as the store writes them (tickets, then their events, pending). */
async function seed(mongo, template, event) {
  const tickets = [];
  const events = [];
  const base = Date.now();
  for (let i = 0; i < N; i++) {
    const _id = new ObjectId();
    const { _id: _t, ...ticket } = template;
    tickets.push({
      ...ticket,
      _id,
      ticketNumber: `BENCH-${String(i).padStart(6, '0')}`,
      customerEmail: `bench+${i}@example.com`,
      sequence: 1,
    });
    const { _id: _e, ...ev } = event;
    events.push({ ...ev, _id: new ObjectId(), ticketId: _id, at: new Date(base + i), pending: true });
  }
  const t0 = performance.now();
  for (let i = 0; i < N; i += 500) await mongo.collection('tickets').insertMany(tickets.slice(i, i + 500));
  for (let i = 0; i < N; i += 500) await mongo.collection('ticket_events').insertMany(events.slice(i, i + 500));
  return performance.now() - t0;
}

/** The template ticket, made through the API and waited for in the feed (so it is before any webhook's start). */
async function template(gql, mongo) {
  const made = (await create(gql, 'template@example.com')).createTicket;
  const ticket = await mongo.collection('tickets').findOne({ ticketNumber: made.ticketNumber });
  const event = await mongo.collection('ticket_events').findOne({ ticketId: ticket._id });
  await waitFor(async () => (await feedEnd(mongo)) >= 1, 30_000);
  return { ticket, event };
}

function receiver() {
  const r = { times: [], ids: [], inFlight: 0, maxInFlight: 0 };
  r.server = http.createServer((req, res) => {
    r.inFlight++;
    r.maxInFlight = Math.max(r.maxInFlight, r.inFlight);
    req.resume();
    req.on('end', () => {
      r.times.push(performance.now());
      r.ids.push(req.headers['webhook-id']);
      r.inFlight--;
      res.statusCode = 204;
      res.end();
    });
  });
  return r;
}

/** Of what a receiver got (`got`, in arrival order), how many are not where the feed's order (`feed`) puts them; repeats apart. */
function orderCheck(got, feed) {
  const firsts = [];
  const seen = new Set();
  for (const id of got) {
    if (seen.has(id)) continue;
    seen.add(id);
    firsts.push(id);
  }
  const misplaced = firsts.filter((id, i) => id !== feed[i]).length + Math.max(0, feed.length - firsts.length);
  return { misplaced, repeats: got.length - firsts.length };
}

/** The API's database commands during the burst, the costliest kinds first (ms: the engine's answer time). */
const commandRows = (rows, per) => [
  '',
  `| database commands during the burst (API process, through a counting proxy) | count | per ${per.label} | engine ms, total |`,
  '| --- | ---: | ---: | ---: |',
  ...rows.slice(0, 12).map(([k, n, ms]) => `| \`${k}\` | ${n} | ${fmt(n / per.n, 2)} | ${fmt(ms, 0)} |`),
];

const header = (kind, db, extra) => [
  `# ${kind}: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, engine: ${db.name}`,
  `# ${N} events seeded in bulk (copies of one API-made ticket and its CREATED event, pending) and claimed by the API's sequencer after one createTicket nudged it; ${extra}`,
  '',
];

export async function webhookBench({ root, engine, apiServer, stop, cpuMs }) {
  const receivers = [receiver(), receiver()];
  for (const r of receivers) await new Promise((ok) => r.server.listen(0, '127.0.0.1', ok));
  const db = await engine('webhooks');
  const wire = await countingProxy(db.uri);
  const api = await apiServer({ ...db, uri: wire.uri }, { WEBHOOK_ALLOW_PRIVATE: '1', LOG_LEVEL: 'error' });
  const mongo = new MongoClient(db.uri);
  await mongo.connect();
  const store = mongo.db();
  const gql = client(root, db, api.url);
  const { ticket, event } = await template(gql, store);
  const hooks = [];
  for (const r of receivers)
    hooks.push(
      (
        await gql('mutation($u: String!) { createWebhook(url: $u) { webhook { id } } }', {
          u: `http://127.0.0.1:${r.server.address().port}/hook`,
        })
      ).createWebhook.webhook.id,
    );
  const start = await feedEnd(store);
  const insertMs = await seed(store, ticket, event);
  const k0 = wire.snapshot();
  // CPU from /proc (the machine is shared: wall time alone says little): the API process and the engine.
  const cpu0 = [cpuMs(api.child.pid), cpuMs(db.pid)];
  const t0 = performance.now();
  await create(gql, 'nudge@example.com');
  const total = N + 1;
  const reached = await waitFor(() => receivers.every((r) => new Set(r.ids).size >= total));
  const cpu = [cpuMs(api.child.pid) - cpu0[0], cpuMs(db.pid) - cpu0[1]];
  const commands = wire.since(k0);
  const bothSecs = (Math.max(...receivers.map((r) => r.times.at(-1) ?? Infinity)) - t0) / 1000;
  const feed = await feedIds(store, start);
  const checks = receivers.map((r) => orderCheck(r.ids, feed));
  const rates = receivers.map((r) => rate(r.times));
  const burst = receivers.map((r) => ({ ids: r.ids.length, distinct: new Set(r.ids).size }));
  // On request, one receiver alone: the same events again, already in the feed (each delivery then updates its record).
  const r0 = receivers[0];
  const before = r0.times.length;
  let replay = null;
  if (REPLAY) {
    await gql('mutation($id: ID!) { replayWebhook(id: $id, after: null) { id } }', { id: hooks[0] });
    const all = await feedIds(store, 0);
    const drained = await waitFor(() => r0.times.length - before >= all.length);
    replay = { drained, rate: rate(r0.times.slice(before)), check: orderCheck(r0.ids.slice(before), all) };
  }
  await stop(api);
  wire.close();
  await db.stop();
  await mongo.close();
  for (const r of receivers) r.server.close();
  const row = (label, f) => `| ${label} | ${receivers.map((r, i) => f(r, i)).join(' | ')} |`;
  const deliveries = Math.max(
    1,
    burst.reduce((a, b) => a + b.ids, 0),
  );
  console.log(
    [
      ...header(
        'webhooks',
        db,
        'two webhooks (every kind) made before it, on receivers answering 204 at once; then replayWebhook(after: null) of the first alone',
      ),
      `Inserting the ${N} copies: ${fmt(insertMs / 1000, 2)} s (not counted below).`,
      '',
      '| measure | webhook 1 | webhook 2 | budget |',
      '| --- | ---: | ---: | ---: |',
      `| burst: both webhooks have all ${total} events, from the nudge | **${reached ? `${fmt(bothSecs)} s` : `not within ${LIMIT_MS / 1000} s`}** | | under 15 s |`,
      row('burst: deliveries a second (first to last)', (_r, i) => `**${fmt(rates[i], 0)}**`) + ' 200 |',
      row('burst: events delivered', (_r, i) => `${burst[i].distinct} of ${feed.length}`) + ' all |',
      row('burst: events not where the feed order puts them', (_r, i) => checks[i].misplaced) + ' 0 |',
      row('burst: repeats', (_r, i) => checks[i].repeats) + ' - |',
      row('most requests in flight at once', (r) => r.maxInFlight) + ' 1 |',
      `| burst: CPU ms per delivery, API process (nudge's create included) | ${fmt(cpu[0] / deliveries, 2)} | | - |`,
      `| burst: CPU ms per delivery, engine | ${fmt(cpu[1] / deliveries, 2)} | | - |`,
      ...(replay
        ? [
            `| replay of webhook 1 alone (every record there already): deliveries a second | **${replay.drained ? fmt(replay.rate, 0) : `not within ${LIMIT_MS / 1000} s`}** | | - |`,
            `| replay: events not in feed order | ${replay.check.misplaced} | | 0 |`,
          ]
        : []),
      ...commandRows(commands, { label: 'delivery', n: burst.reduce((a, b) => a + b.ids, 0) }),
      '',
    ].join('\n'),
  );
}

export async function emailOutBench({ root, engine, apiServer, stop }) {
  const { SMTPServer } = await import('smtp-server');
  const got = { times: [], subjects: [] };
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      let head = '';
      stream.on('data', (c) => {
        if (head.length < 4096) head += c;
      });
      stream.on('end', () => {
        got.times.push(performance.now());
        got.subjects.push(/\[([^\]]+)\]/.exec(/^Subject: (.*)$/m.exec(head)?.[1] ?? '')?.[1] ?? '');
        callback();
      });
    },
  });
  await new Promise((ok) => smtp.listen(0, '127.0.0.1', ok));
  const db = await engine('email_out');
  const wire = await countingProxy(db.uri);
  const api = await apiServer(
    { ...db, uri: wire.uri },
    {
      SMTP_URL: `smtp://127.0.0.1:${smtp.server.address().port}`,
      EMAIL_FROM: 'Support <support@bench.example.com>',
      LOG_LEVEL: 'error',
    },
  );
  const mongo = new MongoClient(db.uri);
  await mongo.connect();
  const store = mongo.db();
  const gql = client(root, db, api.url);
  const { ticket, event } = await template(gql, store);
  await waitFor(() => got.times.length >= 1, 30_000); // the template's own confirmation
  const before = got.times.length;
  const start = await feedEnd(store);
  const insertMs = await seed(store, ticket, event);
  const k0 = wire.snapshot();
  const t0 = performance.now();
  const nudge = (await create(gql, 'nudge@example.com')).createTicket.ticketNumber;
  const total = N + 1;
  const reached = await waitFor(() => got.times.length - before >= total);
  const commands = wire.since(k0);
  const secs = ((got.times.at(-1) ?? Infinity) - t0) / 1000;
  const times = got.times.slice(before);
  // The feed's order, as ticket numbers (one CREATED event per ticket).
  const numbers = new Map(
    (await store.collection('tickets').find({}).toArray()).map((t) => [String(t._id), t.ticketNumber]),
  );
  const eventTicket = new Map(
    (await store.collection('ticket_events').find({}).toArray()).map((e) => [String(e._id), String(e.ticketId)]),
  );
  const feed = (await feedIds(store, start)).map((id) => numbers.get(eventTicket.get(id)));
  const check = orderCheck(got.subjects.slice(before), feed);
  await stop(api);
  wire.close();
  await db.stop();
  await mongo.close();
  smtp.close();
  console.log(
    [
      ...header(
        'email-out',
        db,
        'one API process with email out (SMTP_URL) to a local smtp-server accepting at once; each copy is a confirmation',
      ),
      `Inserting the ${N} copies: ${fmt(insertMs / 1000, 2)} s (not counted below); the nudge's ticket is ${nudge}.`,
      '',
      '| measure | value |',
      '| --- | ---: |',
      `| every confirmation arrived, from the nudge | **${reached ? `${fmt(secs)} s` : `not within ${LIMIT_MS / 1000} s`}** |`,
      `| messages a second (first to last) | **${fmt(rate(times), 0)}** |`,
      `| messages arrived | ${times.length} of ${total} |`,
      `| messages not where the feed order puts them | ${check.misplaced} |`,
      `| repeats | ${check.repeats} |`,
      ...commandRows(commands, { label: 'message', n: Math.max(1, times.length) }),
      '',
    ].join('\n'),
  );
}
