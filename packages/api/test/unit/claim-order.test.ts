// The order a claim gives pending events: time across tickets, the API's
// acknowledgement order (ticketSeq) within one ticket, whatever the
// writers' clocks say; and a claim cut at the batch size takes each
// ticket's earliest events. Pure: no database.
import { Types } from 'mongoose';
import { claimOrder, planClaim, predecessorsToCheck, type PendingEvent } from '../../src/feed/claim-order';
import { GapWatch } from '../../src/feed/gap-watch';

const t1 = new Types.ObjectId();
const t2 = new Types.ObjectId();
const ev = (name: string, ticketId: Types.ObjectId, atMs: number, ticketSeq?: number) =>
  Object.assign({ _id: new Types.ObjectId(), ticketId, at: new Date(atMs), ticketSeq }, { name }) as PendingEvent & {
    name: string;
  };
const names = (events: PendingEvent[]) => events.map((e) => (e as PendingEvent & { name: string }).name);

describe('claimOrder', () => {
  it('keeps time order across tickets and ticketSeq order within one, in the same slots', () => {
    // Ticket 1: answered on a process 5 s behind (seq 2) after one on time (seq 1).
    const a1 = ev('a1', t1, 10_000, 1);
    const a2 = ev('a2', t1, 5_100, 2);
    const b0 = ev('b0', t2, 7_000, 0);
    const byTime = [a2, b0, a1];
    expect(names(claimOrder(byTime))).toEqual(['a1', 'b0', 'a2']);
  });

  it('puts events from before ticketSeq first, then by time and id', () => {
    const old = ev('old', t1, 9_000);
    const n0 = ev('n0', t1, 1_000, 0);
    expect(names(claimOrder([n0, old]))).toEqual(['old', 'n0']);
  });

  it('cut at the batch size: a ticket gets its earliest events, pulled from behind the cut', () => {
    const late = ev('seq1-clock-ahead', t1, 50_000, 1); // past the cut in time order
    const next = ev('seq2', t1, 10_000, 2);
    const other = ev('other', t2, 11_000, 0);
    expect(names(claimOrder([next, other], [late]))).toEqual(['seq1-clock-ahead', 'other']);
    // and never the same event twice
    expect(names(claimOrder([next, other], [next, late]))).toEqual(['seq1-clock-ahead', 'other']);
  });

  const num = (name: string, ticketId: Types.ObjectId, atMs: number, sequence: number) =>
    Object.assign({ _id: new Types.ObjectId(), ticketId, at: new Date(atMs), sequence }, { name }) as PendingEvent & {
      name: string;
    };

  it('holds what follows a missing number, and reports the hole; other tickets go on', () => {
    // Ticket 1: 3 was written by a writer that won first and stalled; 4 and 5 came after. Ticket 2: 2 follows its fed CREATED.
    const four = num('t1-4', t1, 1_000, 4);
    const five = num('t1-5', t1, 2_000, 5);
    const other = num('t2-2', t2, 1_500, 2);
    expect(predecessorsToCheck([four, other, five]).map((g) => [g.ticketId, g.sequence])).toEqual([
      [t1, 3],
      [t2, 1],
    ]);
    const plan = planClaim([four, other, five], [], (key) => (key === t1.toHexString() ? 'missing' : 'fed'));
    expect(names(plan.claim)).toEqual(['t2-2']);
    expect(plan.gaps.map((g) => [g.ticketId, g.sequence])).toEqual([[t1, 3]]);
    // The stalled event came: pending, not yet in this claim: wait without a hole.
    expect(planClaim([four, other, five], [], (key) => (key === t1.toHexString() ? 'pending' : 'fed'))).toEqual({
      claim: [other],
      gaps: [],
    });
  });

  it('claims a run up to the first hole inside it', () => {
    const two = num('2', t1, 3_000, 2);
    const three = num('3', t1, 1_000, 3);
    const five = num('5', t1, 2_000, 5);
    const plan = planClaim([three, five, two], [], () => 'fed');
    expect(names(plan.claim)).toEqual(['2', '3']);
    expect(plan.gaps.map((g) => g.sequence)).toEqual([4]);
  });

  it('a CREATED (1) needs nothing before it', () => {
    const created = num('1', t1, 1_000, 1);
    const two = num('2', t1, 900, 2);
    expect(predecessorsToCheck([two, created])).toEqual([]);
    expect(names(planClaim([two, created], [], () => 'missing').claim)).toEqual(['1', '2']);
  });
});

describe('GapWatch', () => {
  it('gives a hole up only once the same hole was seen for a whole lease on its own clock, and forgets holes that closed', () => {
    let now = 0;
    const watch = new GapWatch(30_000, () => now);
    const hole = { ticketId: t1, sequence: 3 };
    expect(watch.due([hole])).toEqual([]);
    now = 29_999;
    expect(watch.due([{ ...hole }])).toEqual([]);
    now = 30_000;
    expect(watch.due([{ ...hole }])).toEqual([hole]);
    // It closed (the event came), then another hole opened at the same place: a new lease.
    expect(watch.due([])).toEqual([]);
    expect(watch.size).toBe(0);
    now = 40_000;
    expect(watch.due([hole])).toEqual([]);
    now = 69_999;
    expect(watch.due([hole])).toEqual([]);
  });
});
