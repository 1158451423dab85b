// The order a claim gives pending events: time across tickets, the API's
// acknowledgement order (ticketSeq) within one ticket, whatever the
// writers' clocks say; and a claim cut at the batch size takes each
// ticket's earliest events. Pure: no database.
import { Types } from 'mongoose';
import { claimOrder, type PendingEvent } from '../../src/feed/claim-order';

const t1 = new Types.ObjectId();
const t2 = new Types.ObjectId();
const ev = (name: string, ticketId: Types.ObjectId, atMs: number, ticketSeq?: number) => Object.assign({ _id: new Types.ObjectId(), ticketId, at: new Date(atMs), ticketSeq }, { name }) as PendingEvent & { name: string };
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
});
