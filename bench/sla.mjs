// `BENCH_OPS=sla npm run bench` (or `npm run bench -- sla`): what the SLA
// worker's rounds cost with BENCH_SLA_TICKETS open tickets (default
// 100 000, seeded in bulk through the driver) under a policy, none due;
// then with BENCH_SLA_DUE of them (default 100) past their first-response
// deadline (one round announces them); then the resync after a policy
// change (every open ticket recomputed, a page per round), given at most
// BENCH_SLA_RESYNC_SECONDS (default 300): past it, the pages done and the
// cost per page are reported. Beside each, its floor through the bare
// driver: the checker's query (an indexed range over the due dates) and a
// plain walk over the same pages of tickets. Wall-clock and CPU
// milliseconds (this process, and the engine when it runs here); the engine
// is jongodb unless MONGODB_URI is set (on jongodb every lookup scans, so
// costs grow with the collection; on MongoDB the checker's query is an
// index range).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ObjectId } from 'mongodb';

const CLK_TCK = 100;
/** CPU ms of a process on this machine (NaN when remote). */
const engineCpu = (pid) => {
  if (!pid) return NaN;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
};
const RESYNC_SECONDS = Number(process.env.BENCH_SLA_RESYNC_SECONDS ?? 300);
const PAGE = 500;

const N = Number(process.env.BENCH_SLA_TICKETS ?? 100_000);
const DUE = Math.min(Number(process.env.BENCH_SLA_DUE ?? 100), N);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCH = 1000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let enginePid;
/** Wall, this process's CPU and the engine's CPU, in ms. */
const time = async (fn) => {
  const t = performance.now();
  const c = process.cpuUsage();
  const e = engineCpu(enginePid);
  const v = await fn();
  const cpu = process.cpuUsage(c);
  return { ms: performance.now() - t, cpu: (cpu.user + cpu.system) / 1000, engine: engineCpu(enginePid) - e, v };
};

export async function slaBench({ engine }) {
  const dist = new URL('../packages/api/dist/', import.meta.url);
  const { connectDatabase, disconnectDatabase } = await import(new URL('db/connection.js', dist));
  const { slaModels } = await import(new URL('sla/models.js', dist));
  const { SlaService } = await import(new URL('sla/sla.service.js', dist));
  const { SlaWorker } = await import(new URL('sla/sla-worker.js', dist));
  const { FeedService } = await import(new URL('feed/feed.service.js', dist));
  const { createLogger } = await import(new URL('logging/logger.js', dist));
  const db = await engine('sla');
  enginePid = db.pid;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const mongoose = await connectDatabase(db.uri, 10_000);
  const conn = mongoose.connection.db;
  for (const m of slaModels) await m.createIndexes();
  const log = createLogger('warn');

  // Seed: one policy, N open URGENT tickets created 10 minutes ago (due in 50), their CREATED events and stored states.
  const now = Date.now();
  await conn.collection('sla_policies').insertOne({
    _id: 'policies',
    version: 1,
    policies: [
      {
        id: 'p1',
        name: 'Urgent',
        priorities: ['URGENT'],
        firstResponseMinutes: 60,
        nextResponseMinutes: null,
        resolutionMinutes: 1440,
        timeZone: 'UTC',
        businessHours: [],
        holidays: [],
      },
    ],
  });
  // The policies' walk is done: idle rounds are idle (the resync is measured on its own below).
  await conn.collection('sla_meta').insertOne({ _id: 'resync', version: 1, after: null, done: true });
  const seeded = await time(async () => {
    for (let i = 0; i < N; i += BATCH) {
      const tickets = [],
        events = [],
        states = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) {
        const _id = new ObjectId();
        const createdAt = new Date(now - 10 * 60_000);
        tickets.push({
          _id,
          ticketNumber: `B-${j}`,
          subject: 's',
          description: 'd',
          status: 'OPEN',
          priority: 'URGENT',
          source: 'API',
          customerEmail: 'bench@example.com',
          createdAt,
          updatedAt: createdAt,
          slaDueAt: new Date(createdAt.getTime() + 60 * 60_000),
          slaBreached: false,
        });
        events.push({
          _id: new ObjectId(),
          ticketId: _id,
          at: createdAt,
          ticketSeq: 0,
          kind: 'CREATED',
          visibility: 'PUBLIC',
          pending: false,
        });
        states.push({
          _id,
          policyVersion: 1,
          policy: 'Urgent',
          status: 'OPEN',
          open: true,
          waiting: false,
          firstResponseDueAt: new Date(createdAt.getTime() + 60 * 60_000),
          nextResponseDueAt: null,
          resolutionDueAt: new Date(createdAt.getTime() + 1440 * 60_000),
          checkAt: new Date(createdAt.getTime() + 60 * 60_000),
          breached: [],
          metOnTime: {},
        });
      }
      await conn.collection('tickets').insertMany(tickets, { ordered: false });
      await conn.collection('ticket_events').insertMany(events, { ordered: false });
      await conn.collection('ticket_sla').insertMany(states, { ordered: false });
    }
  });

  /** Progress on stderr (a run on a slow engine says where it is). */
  const say = (what, t) =>
    console.error(`[sla bench] ${what}: ${t ? `${t.ms.toFixed(0)} ms wall, ${t.cpu.toFixed(0)} ms CPU` : ''}`);
  say('seeded', seeded);
  const worker = new SlaWorker(new SlaService(), new FeedService(), { intervalMs: 1000 }, log);
  const floor = () =>
    conn
      .collection('ticket_sla')
      .find({ checkAt: { $lte: new Date() } })
      .sort({ checkAt: 1 })
      .limit(500)
      .toArray();
  await worker.round(); // takes the lease, warms up
  const idleFloor = [],
    idleRound = [];
  for (let r = 0; r < ROUNDS; r++) {
    idleFloor.push(await time(floor));
    idleRound.push(await time(() => worker.round()));
    say('idle round', idleRound[idleRound.length - 1]);
  }

  // DUE tickets come in two hours ago: their first response is missed.
  const due = await conn.collection('ticket_sla').find({}).limit(DUE).toArray();
  const ago = new Date(now - 2 * 3_600_000);
  for (const d of due) {
    await conn.collection('tickets').updateOne({ _id: d._id }, { $set: { createdAt: ago } });
    await conn
      .collection('ticket_sla')
      .updateOne({ _id: d._id }, { $set: { checkAt: new Date(ago.getTime() + 60 * 60_000) } });
  }
  const dueFloor = await time(floor);
  const breachRound = await time(() => worker.round());
  say('breach round', breachRound);
  const announced = await conn.collection('ticket_events').countDocuments({ kind: 'SLA_BREACHED' });

  // The resync: a policy change (version 2); rounds until the walk is done, or the time given runs out.
  await conn.collection('sla_policies').updateOne({ _id: 'policies' }, { $inc: { version: 1 } });
  const resyncDone = async () => (await conn.collection('sla_meta').findOne({ _id: 'resync' }))?.done === true;
  let pages = 0;
  const resync = await time(async () => {
    const end = performance.now() + RESYNC_SECONDS * 1000;
    do {
      const t = await time(() => worker.round());
      pages++;
      if (pages <= 3 || pages % 10 === 0) say(`resync round ${pages}`, t);
    } while (!(await resyncDone()) && performance.now() < end);
  });
  const walked = await resyncDone();
  // Its floor: the same pages of open tickets through the bare driver (find by _id range, no computing, no writes).
  const walkFloor = await time(async () => {
    let after = null;
    for (let p = 0; p < pages; p++) {
      const page = await conn
        .collection('tickets')
        .find(after ? { status: 'OPEN', _id: { $gt: after } } : { status: 'OPEN' }, { projection: { _id: 1 } })
        .sort({ _id: 1 })
        .limit(PAGE)
        .toArray();
      if (!page.length) break;
      after = page[page.length - 1]._id;
    }
  });
  await worker.stop();
  await disconnectDatabase();
  await db.stop();

  const f = (x) => (Number.isNaN(x) ? '-' : x.toFixed(0));
  const med = (xs, k) => median(xs.map((x) => x[k]));
  const row = (what, t) => `| ${what} | ${f(t.ms)} | ${f(t.cpu)} | ${f(t.engine)} |`;
  console.log(
    [
      `## SLA breach checker at ${N.toLocaleString('en')} open tickets (${db.name})`,
      '',
      `Seeded in ${(seeded.ms / 1000).toFixed(1)} s (driver insertMany, ${BATCH} a call). Load average at the start: ${load}.`,
      `Idle rows: medians of ${ROUNDS}. Milliseconds; CPU of this process (the worker) and of the engine.`,
      '',
      '| what | wall ms | worker CPU ms | engine CPU ms |',
      '| --- | --- | --- | --- |',
      row("floor: the checker's query alone (bare driver, indexed range on checkAt), nothing due", {
        ms: med(idleFloor, 'ms'),
        cpu: med(idleFloor, 'cpu'),
        engine: med(idleFloor, 'engine'),
      }),
      row('one worker round, nothing due (lease, policies, feed, resync check, waiting states, check)', {
        ms: med(idleRound, 'ms'),
        cpu: med(idleRound, 'cpu'),
        engine: med(idleRound, 'engine'),
      }),
      row(`floor: the checker's query, ${DUE} due`, dueFloor),
      row(`one checker round announcing ${DUE} breaches (${announced} events written)`, breachRound),
      row(
        `resync after a policy change: ${pages} round(s) of ${PAGE} tickets${walked ? ', walk done' : `, NOT done within ${RESYNC_SECONDS} s`}`,
        resync,
      ),
      row(`floor: the same ${pages} page(s) of open tickets by _id (bare driver)`, walkFloor),
      row('resync, per page', { ms: resync.ms / pages, cpu: resync.cpu / pages, engine: resync.engine / pages }),
    ].join('\n'),
  );
  process.exit(announced === DUE ? 0 : 1);
}
