// `BENCH_OPS=sla npm run bench` (or `npm run bench -- sla`): what the SLA
// worker's rounds cost with BENCH_SLA_TICKETS open tickets (default
// 100 000; a list such as `2000,10000,20000` runs each size on an engine of
// its own, to show how the cost grows), seeded in bulk through the driver
// (one insertMany per collection unless BENCH_SLA_SEED_BATCH says; creating
// them through the API would take hours on the embedded engine) under a
// policy, none due; then with BENCH_SLA_DUE of them (default 100) past
// their first-response deadline (one round announces them); then the
// resync after a policy change (the resolution target moves: every open
// ticket's state is recomputed and written, pages back to back in one
// round), given at most BENCH_SLA_RESYNC_SECONDS (default 300): past it the
// worker stops after its page, and the pages done and the cost per page
// are reported. Beside each, its floor through the bare driver: the
// checker's query (an indexed range over the due dates), the least a
// breach round must write (one insert of the events, one update flagging
// their tickets; BENCH_SLA_WRITE_FLOOR=0 leaves it out), and a plain walk
// over the same pages of tickets. Wall-clock and CPU milliseconds (this
// process, and the engine when it runs here), the commands each round sent
// (by name) and, on stderr, the engine's CPU by statement (command and
// collection: /proc/<engine>/stat read around each). The engine is jongodb
// unless MONGODB_URI is set (`MONGODB_URI=mongodb://.../?replicaSet=rs0
// BENCH_OPS=sla node bench/run.mjs` after `npm run build`: a database of
// its own per size; engine columns show '-'). On jongodb every lookup
// scans, and every write statement that changes something costs about the
// same whatever it writes, growing with the square of its collection.
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

const SIZES = String(process.env.BENCH_SLA_TICKETS ?? 100_000)
  .split(',')
  .map(Number);
const DUE_WANTED = Number(process.env.BENCH_SLA_DUE ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Documents per insertMany when seeding (default: all of a collection in one statement: on the embedded engine a write statement costs about the same whatever the number of documents it writes, and grows with the collection). */
const SEED_BATCH = process.env.BENCH_SLA_SEED_BATCH ? Number(process.env.BENCH_SLA_SEED_BATCH) : undefined;
/** BENCH_SLA_WRITE_FLOOR=0 leaves the bare driver's write floor out (three more write statements: minutes at 100 000 on the embedded engine). */
const WRITE_FLOOR = process.env.BENCH_SLA_WRITE_FLOOR !== '0';
const MIN = 60_000;
/** The seeded policy's targets: a day to answer, two to resolve (the resync moves the second to four). */
const FIRST_MINUTES = 1440;
const RESOLUTION_MINUTES = 2880;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function slaBench({ engine }) {
  const dist = new URL('../packages/api/dist/', import.meta.url);
  const { connectDatabase, disconnectDatabase } = await import(new URL('db/connection.js', dist));
  const { slaModels } = await import(new URL('sla/models.js', dist));
  const { SlaService } = await import(new URL('sla/sla.service.js', dist));
  const { SlaWorker } = await import(new URL('sla/sla-worker.js', dist));
  const { FeedService } = await import(new URL('feed/feed.service.js', dist));
  const { TicketStore } = await import(new URL('tickets/ticket.store.js', dist));
  const { ticketModels } = await import(new URL('tickets/models.js', dist));
  const { createLogger } = await import(new URL('logging/logger.js', dist));
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const results = [];
  let engineName = '';
  let ok = true;

  for (const N of SIZES) {
    const DUE = Math.min(DUE_WANTED, N);
    const BATCH = SEED_BATCH ?? N;
    const db = await engine(`sla${N}`);
    engineName = db.name;
    const enginePid = db.pid;
    /** Wall, this process's CPU and the engine's CPU, in ms, and the commands sent. */
    const time = async (fn) => {
      const t = performance.now();
      const c = process.cpuUsage();
      const e = engineCpu(enginePid);
      commands.clear();
      statements.clear();
      const v = await fn();
      const cpu = process.cpuUsage(c);
      return {
        ms: performance.now() - t,
        cpu: (cpu.user + cpu.system) / 1000,
        engine: engineCpu(enginePid) - e,
        commands: [...commands].map(([k, n]) => `${k} ${n}`).join(', '),
        statements: [...statements]
          .sort((a, b) => b[1].engine - a[1].engine || b[1].n - a[1].n)
          .map(([k, s]) => `${k} ×${s.n}${Number.isNaN(s.engine) ? '' : `: ${Math.round(s.engine)} ms`}`)
          .join('; '),
        v,
      };
    };
    const mongoose = await connectDatabase(db.uri, 10_000);
    // The commands each timed step sends, by name (the driver's command monitoring, set at connect).
    await mongoose.disconnect();
    await mongoose.connect(db.uri, { serverSelectionTimeoutMS: 10_000, monitorCommands: true });
    const commands = new Map();
    /** Per statement (command and collection): how many, and the engine's CPU between its start and its reply. */
    const statements = new Map();
    const started = new Map();
    const client = mongoose.connection.getClient();
    client.on('commandStarted', (e) => {
      commands.set(e.commandName, (commands.get(e.commandName) ?? 0) + 1);
      const coll = typeof e.command[e.commandName] === 'string' ? e.command[e.commandName] : '';
      started.set(e.requestId, { key: `${e.commandName} ${coll}`.trim(), cpu: engineCpu(enginePid) });
    });
    const ended = (e) => {
      const s = started.get(e.requestId);
      if (!s) return;
      started.delete(e.requestId);
      const st = statements.get(s.key) ?? { n: 0, engine: 0 };
      st.n++;
      st.engine += engineCpu(enginePid) - s.cpu;
      statements.set(s.key, st);
    };
    client.on('commandSucceeded', ended);
    client.on('commandFailed', ended);
    const conn = mongoose.connection.db;
    for (const m of [...ticketModels, ...slaModels]) await m.createIndexes();
    const log = createLogger('warn');
    /** Progress on stderr (a run on a slow engine says where it is). */
    const say = (what, t) =>
      console.error(
        `[sla bench ${N}] ${what}${t ? `: ${t.ms.toFixed(0)} ms wall, ${t.cpu.toFixed(0)} ms CPU, engine ${t.engine.toFixed(0)} ms` : ''}`,
      );

    // Seed: one policy, N open URGENT tickets created 0-50 minutes ago (first response due in a day, each
    // at its own minute: none comes due however long the run takes; at 40 000 tickets a one-hour target let
    // thousands come due mid-run and the "quiet" round announced them), their CREATED events (numbered 1)
    // and stored states, as the worker leaves them.
    const now = Date.now();
    const policy = (resolutionMinutes) => ({
      id: 'p1',
      name: 'Urgent',
      priorities: ['URGENT'],
      firstResponseMinutes: FIRST_MINUTES,
      nextResponseMinutes: null,
      resolutionMinutes,
      timeZone: 'UTC',
      businessHours: [],
      holidays: [],
    });
    await conn
      .collection('sla_policies')
      .insertOne({ _id: 'policies', version: 1, policies: [policy(RESOLUTION_MINUTES)] });
    // The policies' walk is done: idle rounds are idle (the resync is measured on its own below).
    await conn.collection('sla_meta').insertOne({ _id: 'resync', version: 1, after: null, done: true });
    const seeded = await time(async () => {
      for (let i = 0; i < N; i += BATCH) {
        const tickets = [],
          events = [],
          states = [];
        for (let j = i; j < Math.min(N, i + BATCH); j++) {
          const _id = new ObjectId();
          const createdAt = new Date(now - ((j % 50) + 1) * MIN);
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
            lastSequence: 1,
            slaDueAt: new Date(createdAt.getTime() + FIRST_MINUTES * MIN),
            slaBreached: false,
          });
          events.push({
            _id: new ObjectId(),
            ticketId: _id,
            at: createdAt,
            sequence: 1,
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
            firstResponseDueAt: new Date(createdAt.getTime() + FIRST_MINUTES * MIN),
            nextResponseDueAt: null,
            resolutionDueAt: new Date(createdAt.getTime() + RESOLUTION_MINUTES * MIN),
            checkAt: new Date(createdAt.getTime() + FIRST_MINUTES * MIN),
            breached: [],
            metOnTime: { FIRST_RESPONSE: 0, NEXT_RESPONSE: 0, RESOLUTION: 0 },
            failed: false,
          });
        }
        await conn.collection('tickets').insertMany(tickets, { ordered: false });
        await conn.collection('ticket_events').insertMany(events, { ordered: false });
        await conn.collection('ticket_sla').insertMany(states, { ordered: false });
        say(`seeded ${Math.min(N, i + BATCH)}`);
      }
    });
    say('seeded', seeded);
    const worker = new SlaWorker(new SlaService({}, new TicketStore()), new FeedService(), { intervalMs: 1000 }, log);
    const floor = () =>
      conn
        .collection('ticket_sla')
        .find({ checkAt: { $lte: new Date() } })
        .sort({ checkAt: 1 })
        .limit(PAGE)
        .toArray();
    await worker.round(); // takes the lease, warms up
    const idleFloor = [],
      idleRound = [];
    for (let r = 0; r < ROUNDS; r++) {
      idleFloor.push(await time(floor));
      idleRound.push(await time(() => worker.round()));
      say('idle round', idleRound[idleRound.length - 1]);
      if (r === 0) say(`  engine CPU by statement: ${idleRound[0].statements}`);
    }

    // DUE tickets came in an hour more than the first-response target ago: that is missed (their resolution
    // is not). Their tickets and stored states say so as the worker would have left them (one write per
    // collection: all alike).
    const due = (await conn.collection('ticket_sla').find({}).limit(DUE).toArray()).map((d) => d._id);
    const ago = now - (FIRST_MINUTES + 60) * MIN;
    await conn
      .collection('tickets')
      .updateMany(
        { _id: { $in: due } },
        { $set: { createdAt: new Date(ago), slaDueAt: new Date(ago + FIRST_MINUTES * MIN) } },
      );
    await conn.collection('ticket_sla').updateMany(
      { _id: { $in: due } },
      {
        $set: {
          firstResponseDueAt: new Date(ago + FIRST_MINUTES * MIN),
          resolutionDueAt: new Date(ago + RESOLUTION_MINUTES * MIN),
          checkAt: new Date(ago + FIRST_MINUTES * MIN),
        },
      },
    );
    const dueFloor = await time(floor);
    const breachRound = await time(() => worker.round());
    say('breach round', breachRound);
    say(`  commands: ${breachRound.commands}`);
    say(`  engine CPU by statement: ${breachRound.statements}`);
    const announced = await conn.collection('ticket_events').countDocuments({ kind: 'SLA_BREACHED' });
    const once = await conn.collection('ticket_events').distinct('ticketId', { kind: 'SLA_BREACHED' });
    if (announced !== DUE || once.length !== DUE) ok = false;
    // Its floor: the least a breach round writes, through the bare driver (then taken away again).
    const none = { ms: NaN, cpu: NaN, engine: NaN };
    const writeFloor = WRITE_FLOOR
      ? await time(async () => {
          await conn.collection('ticket_events').insertMany(
            due.map((ticketId) => ({
              _id: new ObjectId(),
              ticketId,
              at: new Date(),
              kind: 'BENCH_FLOOR',
              pending: false,
            })),
          );
          await conn.collection('tickets').updateMany({ _id: { $in: due } }, { $set: { benchFloor: true } });
        })
      : none;
    if (WRITE_FLOOR) {
      await conn.collection('ticket_events').deleteMany({ kind: 'BENCH_FLOOR' });
      await conn.collection('tickets').updateMany({ _id: { $in: due } }, { $unset: { benchFloor: '' } });
    }
    // A quiet round after it: the breaches' events come through the feed, and nothing changes.
    const afterRound = await time(() => worker.round());
    say(`round after the breaches (${afterRound.v} announced, 0 expected)`, afterRound);
    say(`  engine CPU by statement: ${afterRound.statements}`);
    if (afterRound.v !== 0) ok = false;

    // The resync: the resolution target moves (version 2); rounds until the walk is done, or the time given runs out.
    await conn
      .collection('sla_policies')
      .updateOne({ _id: 'policies' }, { $set: { policies: [policy(2 * RESOLUTION_MINUTES)] }, $inc: { version: 1 } });
    const resyncDone = async () => {
      const meta = await conn.collection('sla_meta').findOne({ _id: 'resync' });
      return meta?.version === 2 && meta.done === true;
    };
    // One round walks it all (pages back to back); past BENCH_SLA_RESYNC_SECONDS the worker is stopped after its page.
    // BENCH_SLA_RESYNC_SECONDS=0: not run (a single page takes minutes on the embedded engine at 100 000).
    const cap = setTimeout(() => void worker.stop(), RESYNC_SECONDS * 1000);
    const resync = RESYNC_SECONDS > 0 ? await time(() => worker.round()) : none;
    clearTimeout(cap);
    if (RESYNC_SECONDS > 0) say('resync', resync);
    if (RESYNC_SECONDS > 0) say(`  engine CPU by statement: ${resync.statements}`);
    const moved = await conn.collection('ticket_sla').countDocuments({ policyVersion: 2 });
    const pages = Math.ceil(moved / PAGE);
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
    const med = (xs) => ({
      ms: median(xs.map((x) => x.ms)),
      cpu: median(xs.map((x) => x.cpu)),
      engine: median(xs.map((x) => x.engine)),
    });
    results.push({
      N,
      DUE,
      announced,
      seeded,
      idleFloor: med(idleFloor),
      idleRound: { ...med(idleRound), commands: idleRound[0].commands },
      dueFloor,
      breachRound,
      writeFloor,
      afterRound,
      pages,
      walked,
      resync,
      walkFloor,
      perPage: { ms: resync.ms / pages, cpu: resync.cpu / pages, engine: resync.engine / pages },
    });
  }

  const f = (x) => (Number.isNaN(x) ? '-' : Math.round(x).toLocaleString('en'));
  const cell = (t) => `${f(t.ms)} / ${f(t.cpu)} / ${f(t.engine)}`;
  const rows = [
    ["floor: the checker's query alone (bare driver, indexed range on checkAt), nothing due", (r) => r.idleFloor],
    ['one worker round, nothing due (lease, policies, feed, resync check, waiting states, check)', (r) => r.idleRound],
    [(r) => `floor: the checker's query, ${r.DUE} due`, (r) => r.dueFloor],
    [(r) => `**one checker round announcing ${r.DUE} breaches** (${r.announced} events written)`, (r) => r.breachRound],
    [(r) => `floor: one insert of ${r.DUE} events and one update of their tickets (bare driver)`, (r) => r.writeFloor],
    ['the next round (nothing due)', (r) => r.afterRound],
    [
      (r) =>
        `resync after a policy change: one round, ${r.pages} page(s) of ${PAGE} tickets${r.walked ? ', walk done' : r.pages ? `, NOT done within ${RESYNC_SECONDS} s` : ', not run'}`,
      (r) => r.resync,
    ],
    [(r) => `floor: the same ${r.pages} page(s) of open tickets by _id (bare driver)`, (r) => r.walkFloor],
    ['resync, per page of 500', (r) => r.perPage],
  ];
  const label = (l) => (typeof l === 'function' ? l(results[results.length - 1]) : l);
  console.log(
    [
      `## SLA breach checker at ${SIZES.map((n) => n.toLocaleString('en')).join(', ')} open tickets (${engineName})`,
      '',
      `Seeded through the driver (insertMany, ${SEED_BATCH ? `${SEED_BATCH.toLocaleString('en')} a call` : 'one call per collection'}): ${results.map((r) => `${r.N.toLocaleString('en')} in ${(r.seeded.ms / 1000).toFixed(1)} s`).join(', ')}. Load average at the start: ${load}.`,
      `Each cell: wall ms / worker CPU ms / engine CPU ms. Idle rows: medians of ${ROUNDS}. Labels name the last size's counts.`,
      '',
      `| what | ${results.map((r) => `${r.N.toLocaleString('en')} tickets`).join(' | ')} |`,
      `| --- | ${results.map(() => '---').join(' | ')} |`,
      ...rows.map(([l, pick]) => `| ${label(l)} | ${results.map((r) => cell(pick(r))).join(' | ')} |`),
      '',
      'Commands sent (driver command monitoring):',
      ...results.map(
        (r) =>
          `- ${r.N.toLocaleString('en')} tickets, a quiet round: ${r.idleRound.commands}; the breach round: ${r.breachRound.commands}`,
      ),
    ].join('\n'),
  );
  process.exit(ok ? 0 : 1);
}
