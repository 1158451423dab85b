// What the SLA worker's rounds promise beyond one page and one crash:
// - after a policy change that tightens a target, the resync's pages run
//   back to back within the round (stale states first), so every miss the
//   change makes due is announced by that round, not a page per round;
// - the rewrite journal is added to, not replaced: two holders dying one
//   after the other (the second while redoing the first's page) leave no
//   ticket without a state;
// - event numbers won for breaches whose insert then fails are given up at
//   once (SEQUENCE_SKIPPED stand-ins), not left to the feed's gap lease.
// Failures of the database are played by making one driver call of the
// worker's process fail (a crash between two statements, a lost connection).
import mongoose from 'mongoose';
import { connectDatabase } from '../../src/db/connection';
import { FeedService } from '../../src/feed/feed.service';
import { createLogger } from '../../src/logging/logger';
import { slaModels } from '../../src/sla/models';
import { SlaService } from '../../src/sla/sla.service';
import { SlaWorker } from '../../src/sla/sla-worker';
import { TicketSlaStateModel } from '../../src/sla/ticket-sla.model';
import { TimelineEventModel } from '../../src/tickets/timeline-event.model';
import { databaseUri } from '../support/api';
import { seedOpenTickets } from '../support/sla-seed';

const MIN = 60_000;
const policy = (firstResponseMinutes: number) => ({
  id: 'p1',
  name: 'Urgent',
  priorities: ['URGENT'],
  firstResponseMinutes,
  nextResponseMinutes: null,
  resolutionMinutes: 6000,
  timeZone: 'UTC',
  businessHours: [],
  holidays: [],
});

describe('the SLA worker across pages and crashes', () => {
  const uri = databaseUri('sla_rounds');
  const db = () => mongoose.connection.db!;
  const workers: SlaWorker[] = [];
  const worker = (batch = 3) => {
    const w = new SlaWorker(new SlaService(), new FeedService(), { intervalMs: 60_000, batch }, createLogger('warn'));
    workers.push(w);
    return w;
  };

  /** Open URGENT tickets created `agoMs` ago, numbered, with their CREATED events (number 1). */
  const seed = (n: number, agoMs: number) => seedOpenTickets(n, agoMs, { prefix: 'R', numbered: true });

  async function reset(firstResponseMinutes: number) {
    for (const w of workers.splice(0)) await w.stop();
    for (const c of ['tickets', 'ticket_events', 'ticket_sla', 'sla_meta', 'sla_policies', 'sweep_leases'])
      await db().collection(c).deleteMany({});
    await db()
      .collection('sla_policies')
      .insertOne({ _id: 'policies' as never, version: 1, policies: [policy(firstResponseMinutes)] });
  }

  const setPolicy = (firstResponseMinutes: number) =>
    db()
      .collection('sla_policies')
      .updateOne(
        { _id: 'policies' as never },
        { $set: { policies: [policy(firstResponseMinutes)] }, $inc: { version: 1 } },
      );

  const breaches = () => db().collection('ticket_events').countDocuments({ kind: 'SLA_BREACHED' });

  beforeAll(async () => {
    await connectDatabase(uri, 10_000);
    for (const m of slaModels) await m.createIndexes();
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await mongoose.disconnect();
  });

  it('a tightened target is announced for every ticket by the round after the change, however many pages', async () => {
    await reset(60);
    // Eleven tickets 30 minutes old: due in 30 minutes under the first policy (nothing due).
    const tickets = await seed(11, 30 * MIN);
    const w = worker(3);
    await w.round();
    expect(await db().collection('ticket_sla').countDocuments({ policyVersion: 1, open: true })).toBe(tickets.length);
    expect(await breaches()).toBe(0);
    // Ten minutes now: every one of them was due twenty minutes ago. Pages of 3: four pages, one round.
    await setPolicy(10);
    expect(await w.round()).toBe(tickets.length);
    expect(await breaches()).toBe(tickets.length);
    expect(await db().collection('ticket_sla').countDocuments({ policyVersion: 2 })).toBe(tickets.length);
    expect(await db().collection('tickets').countDocuments({ slaBreached: true })).toBe(tickets.length);
    // Announced once: the next round finds nothing to do.
    expect(await w.round()).toBe(0);
    expect(await breaches()).toBe(tickets.length);
  });

  it('two holders dying one after the other while rewriting states leave no ticket without a state', async () => {
    await reset(60);
    const tickets = await seed(4, 0);
    const first = worker(10);
    await first.round();
    // Each holder here lets the lease go when it is done (a dead one's would pass after three rounds).
    await first.stop();
    const all = async () => db().collection('ticket_sla').find({}).toArray();
    expect(await all()).toHaveLength(4);
    const [a, b] = tickets;
    // The first holder died mid-rewrite of a and b: its journal written, both states deleted, nothing inserted.
    await db()
      .collection('sla_meta')
      .insertOne({ _id: 'replacing' as never, ids: [a._id, b._id], fence: 1 });
    await db()
      .collection('ticket_sla')
      .deleteMany({ _id: { $in: [a._id, b._id] } });
    // ...and a's state came back stale (written by someone else meanwhile): the next page mixes a missing state
    // (b) with one to rewrite (a).
    await db()
      .collection('ticket_sla')
      .insertOne({ _id: a._id, policyVersion: 1, policy: 'Old', open: true, checkAt: null, fence: 1 });
    // The second holder redoes them and dies between its delete and its insert.
    const col = TicketSlaStateModel.collection;
    jest.spyOn(col, 'insertMany').mockRejectedValueOnce(new Error('the process died here'));
    const second = worker(10);
    await expect(second.round()).rejects.toThrow('the process died here');
    jest.restoreAllMocks();
    await second.stop();
    // The journals name b still: a third holder computes both.
    await worker(10).round();
    const states = await all();
    expect(states.map((s) => String(s._id)).sort()).toEqual(tickets.map((t) => String(t._id)).sort());
    for (const s of states) expect(s).toMatchObject({ policy: 'Urgent', failed: false });
    expect(
      await db()
        .collection('sla_meta')
        .countDocuments({ _id: { $regex: '^replacing' } as never }),
    ).toBe(0);
  });

  it("numbers won for breaches whose events then fail to go in are given up at once, not after the feed's gap lease", async () => {
    await reset(1);
    // Missed their first response two minutes ago.
    const tickets = await seed(3, 3 * MIN);
    const events = TimelineEventModel.collection;
    // The batch is refused as a duplicate (one at a time follows), then the connection fails on the first one.
    jest
      .spyOn(events, 'insertMany')
      .mockRejectedValueOnce(Object.assign(new Error('E11000 duplicate key error'), { code: 11000 }));
    jest.spyOn(events, 'insertOne').mockRejectedValueOnce(new Error('connection lost'));
    await expect(
      new SlaService().refresh(
        tickets.map((t) => t._id),
        1,
        undefined,
        new Date(),
      ),
    ).rejects.toThrow('connection lost');
    jest.restoreAllMocks();
    // Every number taken (2 on each ticket) has its stand-in now.
    const taken = await db()
      .collection('tickets')
      .find({ _id: { $in: tickets.map((t) => t._id) } })
      .toArray();
    expect(taken.map((t) => t.lastSequence)).toEqual([2, 2, 2]);
    const skipped = await db().collection('ticket_events').find({ kind: 'SEQUENCE_SKIPPED' }).toArray();
    expect(skipped.map((e) => `${e.ticketId}:${e.sequence}`).sort()).toEqual(tickets.map((t) => `${t._id}:2`).sort());
    expect(await breaches()).toBe(0);
  });
});
