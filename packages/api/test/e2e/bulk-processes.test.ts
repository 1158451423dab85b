// A bulk job across processes: 500 tickets, two API processes; the one
// running the job is killed (SIGKILL) part way, and the other finishes it.
// Every ticket is changed exactly once: each part took one event number of
// the ticket (its lastSequence), no kind of event appears twice, and the
// job counts every ticket once (done == total).
import mongoose from 'mongoose';
import { agent, CREATE, gql, ticketInput } from '../support/api';
import { serverBuilt, useDeployment } from '../support/processes';
import { until } from '../support/until';

const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: multi-process bulk tests need the build (npm test runs it first)');

const TICKETS = Number(process.env.BULK_TICKETS ?? 500);
const START = `mutation($numbers: [String!], $change: BulkChangeInput!) { startBulkChange(ticketNumbers: $numbers, change: $change) { id total } }`;
const JOB = `query($id: ID!) { bulkJob(id: $id) { state total done changed failed failures { ticketNumber code } } }`;

/** How long a job's progress may take: minutes, on the embedded engine beside other files' work. */
const WAIT_MS = 240_000;
const db = () => mongoose.connection.db!;

describeBuilt('bulk jobs across processes', () => {
  const deployment = useDeployment('bulk_multi', 2, { more: ['bulk_jobs', 'bulk_job_failures'] });

  it('a job whose process is killed part way is finished by another, each ticket changed once', async () => {
    const { servers } = deployment;
    // Ten tickets made through the API, the rest copies of them written straight to the engine (creating 500
    // through the API costs minutes on the embedded engine; the job is what is tested here).
    const made: string[] = [];
    for (let i = 0; i < 10; i++)
      made.push(
        (await gql<any>(servers[i % 2].url, CREATE, { input: ticketInput() })).body.data!.createTicket.ticketNumber,
      );
    const model = await db().collection('tickets').findOne({ ticketNumber: made[0] });
    const copies = Array.from({ length: TICKETS - made.length }, (_, i) => ({
      ...model,
      _id: new mongoose.Types.ObjectId(),
      ticketNumber: `TKT-${80000 + i}`,
    }));
    await db().collection('tickets').insertMany(copies);
    const created = await db().collection('ticket_events').findOne({ ticketId: model!._id, kind: 'CREATED' });
    await db()
      .collection('ticket_events')
      .insertMany(
        copies.map((c) => ({
          ...created,
          _id: new mongoose.Types.ObjectId(),
          ticketId: c._id,
          pending: true,
        })),
      );
    const numbers = [...made, ...copies.map((c) => c.ticketNumber)];
    if (process.env.BULK_DEBUG) console.log('created', new Date().toISOString());
    const started = await gql<any>(servers[0].url, START, { numbers, change: { assignee: 'kim' } }, agent);
    expect(started.body.errors).toBeUndefined();
    const id: string = started.body.data!.startBulkChange.id;
    const job = () =>
      db()
        .collection('bulk_jobs')
        .findOne({ _id: id as never });

    // Part way, whichever process holds it is killed.
    if (process.env.BULK_DEBUG) console.log('started', new Date().toISOString());
    const running = await until(
      job,
      (j) => (j?.next ?? 0) >= Math.min(50, TICKETS / 5) && typeof j?.holder === 'string',
      'progress',
      WAIT_MS,
    );
    expect(running!.next).toBeLessThan(TICKETS);
    const holder = servers.find((s) => String(running!.holder).includes(`:${s.child.pid}:`));
    expect(holder).toBeDefined();
    holder!.child.kill('SIGKILL');
    await holder!.exit;
    const survivor = servers.find((s) => s !== holder)!;

    const read = async () => (await gql<any>(survivor.url, JOB, { id }, agent)).body.data!.bulkJob;
    const done = await until(
      async () => {
        const j = await read();
        if (process.env.BULK_DEBUG) console.log(new Date().toISOString(), j.done);
        return j;
      },
      (j) => j.state === 'DONE',
      'the job to finish',
      480_000,
    );
    if (process.env.BULK_DEBUG) console.log('done', new Date().toISOString());
    expect(done).toMatchObject({ total: TICKETS, done: TICKETS, failed: 0, failures: [] });

    const tickets = await db()
      .collection('tickets')
      .find({ ticketNumber: { $in: numbers } })
      .toArray();
    expect(tickets).toHaveLength(TICKETS);
    // A write the kill cut between the ticket and its event leaves a number whose event never comes: the
    // feed gives it up (a SEQUENCE_SKIPPED stand-in), as for any single mutation cut there.
    const all = await db()
      .collection('ticket_events')
      .find({ ticketId: { $in: tickets.map((t) => t._id) } })
      .toArray();
    const events = all.filter((e) => e.kind !== 'SEQUENCE_SKIPPED');
    if (process.env.BULK_DEBUG) console.log('skipped', all.length - events.length, 'events', events.length);
    const perTicket = new Map<string, string[]>();
    for (const e of events) perTicket.set(String(e.ticketId), [...(perTicket.get(String(e.ticketId)) ?? []), e.kind]);
    let missing = 0;
    for (const t of tickets) {
      expect([t.ticketNumber, t.assignee]).toEqual([t.ticketNumber, 'kim']);
      // CREATED, then one number for the assignment: a change applied twice would take more.
      expect([t.ticketNumber, t.lastSequence]).toEqual([t.ticketNumber, 2]);
      const kinds = perTicket.get(String(t._id)) ?? [];
      expect([t.ticketNumber, kinds.filter((k) => k === 'ASSIGNED').length <= 1]).toEqual([t.ticketNumber, true]);
      missing += 2 - kinds.length;
    }
    // At most the one write the kill cut lacks its event, never one more.
    expect(missing).toBeLessThanOrEqual(1);
    // Such a ticket shows nothing of the job to the process that resumes it: counted as found, not changed.
    expect(done.changed).toBe(TICKETS - missing);
    for (const e of events.filter((x) => x.kind !== 'CREATED')) {
      expect(e.bulkJob).toBe(id);
      expect(e.actor).toBe('agent');
    }
  }, 720_000);
});

describeBuilt('a bulk job whose holder stalls past its lease', () => {
  const deployment = useDeployment('bulk_stall', 2, { more: ['bulk_jobs', 'bulk_job_failures', 'bulk_slots'] });

  it('writes nothing once woken: its successor finished the job and people changed the tickets since', async () => {
    const { servers } = deployment;
    const numbers: string[] = [];
    for (let i = 0; i < 60; i++)
      numbers.push(
        (await gql<any>(servers[i % 2].url, CREATE, { input: ticketInput() })).body.data!.createTicket.ticketNumber,
      );
    const started = await gql<any>(servers[0].url, START, { numbers, change: { assignee: 'kim' } }, agent);
    expect(started.body.errors).toBeUndefined();
    const id: string = started.body.data!.startBulkChange.id;
    const job = () =>
      db()
        .collection('bulk_jobs')
        .findOne({ _id: id as never });
    const running = await until(job, (j) => (j?.next ?? 0) >= 10 && typeof j?.holder === 'string', 'progress', WAIT_MS);
    const stalled = servers.find((s) => String(running!.holder).includes(`:${s.child.pid}:`))!;
    expect(stalled).toBeDefined();
    stalled.child.kill('SIGSTOP');
    // Where it stopped: at most the ticket after the last one counted.
    const at = (await job())!.next as number;
    const other = servers.find((s) => s !== stalled)!;
    const done = await until(
      async () => (await gql<any>(other.url, JOB, { id }, agent)).body.data!.bulkJob,
      (j) => j.state === 'DONE',
      'the successor to finish the job',
      WAIT_MS,
    );
    expect(done).toMatchObject({ total: 60, done: 60, failed: 0 });
    // People take the tickets around where it stopped.
    const touched = numbers.slice(Math.max(0, at - 1), at + 2);
    for (const n of touched) {
      const r = await gql<any>(
        other.url,
        `mutation($n: String!) { assignTicket(ticketNumber: $n, assignee: "lee") { assignee } }`,
        { n },
        agent,
      );
      expect(r.body.errors).toBeUndefined();
    }
    // Only the stalled process runs from here: it wakes, and a job of its own finishing there shows its
    // stale round is over (a process runs its jobs one round at a time).
    await other.stop();
    stalled.child.kill('SIGCONT');
    const probe = await gql<any>(stalled.url, START, { numbers: [numbers[0]], change: { priority: 'LOW' } }, agent);
    expect(probe.body.errors).toBeUndefined();
    await until(
      async () =>
        (await gql<any>(stalled.url, JOB, { id: probe.body.data!.startBulkChange.id }, agent)).body.data!.bulkJob,
      (j) => j.state === 'DONE',
      'a job on the woken process',
      WAIT_MS,
    );
    for (const n of touched) {
      const t = await db().collection('tickets').findOne({ ticketNumber: n });
      expect([n, t!.assignee]).toEqual([n, 'lee']);
      const assigned = await db()
        .collection('ticket_events')
        .countDocuments({ ticketId: t!._id, kind: 'ASSIGNED', bulkJob: id });
      // One (none when the feed gave up the number of a write the stop cut from its event).
      expect([n, assigned <= 1]).toEqual([n, true]);
    }
    expect((await job())!.next).toBe(60);
  }, 300_000);
});
