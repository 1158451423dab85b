// `BENCH_OPS=sla npm run bench` (or `npm run bench -- sla`): what the SLA
// worker's rounds cost with BENCH_SLA_TICKETS open tickets (default
// 100 000) under a policy, none due; then with BENCH_SLA_DUE of them
// (default 100) past their first-response deadline (one round announces
// them). Beside it, the floor: the checker's query alone through the bare
// driver. Wall-clock milliseconds, medians; the engine is jongodb unless
// MONGODB_URI is set (on jongodb every lookup scans, so costs grow with the
// collection; on MongoDB the checker's query is an index range).
import { performance } from 'node:perf_hooks';
import { ObjectId } from 'mongodb';

const N = Number(process.env.BENCH_SLA_TICKETS ?? 100_000);
const DUE = Math.min(Number(process.env.BENCH_SLA_DUE ?? 100), N);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCH = 1000;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (fn) => {
  const t = performance.now();
  const v = await fn();
  return { ms: performance.now() - t, v };
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
    idleFloor.push((await time(floor)).ms);
    idleRound.push((await time(() => worker.round())).ms);
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
  const dueFloor = (await time(floor)).ms;
  const breachRound = await time(() => worker.round());
  const announced = await conn.collection('ticket_events').countDocuments({ kind: 'SLA_BREACHED' });
  await worker.stop();
  await disconnectDatabase();
  await db.stop();

  const f = (x) => x.toFixed(1);
  console.log(
    [
      `## SLA breach checker at ${N.toLocaleString('en')} open tickets (${db.name})`,
      '',
      `Seeded in ${(seeded.ms / 1000).toFixed(1)} s. Medians of ${ROUNDS}; wall-clock ms on a shared machine.`,
      '',
      '| what | ms |',
      '| --- | --- |',
      `| floor: the checker's query alone (bare driver), nothing due | ${f(median(idleFloor))} |`,
      `| a worker round, nothing due (lease, policies, feed, stale states, waiting states, check) | ${f(median(idleRound))} |`,
      `| floor: the checker's query, ${DUE} due | ${f(dueFloor)} |`,
      `| a worker round announcing ${DUE} breaches (${announced} events written) | ${f(breachRound.ms)} |`,
    ].join('\n'),
  );
  process.exit(announced === DUE ? 0 : 1);
}
