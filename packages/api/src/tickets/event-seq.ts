// A ticket's events are numbered by the `eventSeq` counter on the ticket
// (an atomic $inc): their `ticketSeq`, the order the change feed keeps
// within one ticket. A change that writes the ticket anyway takes its
// numbers in that same write (its compare-and-set), so the order of the
// numbers is the order of the changes; only events that change nothing on
// the ticket (a note, an erasure's or a repair's record) take them alone.
import type { Types } from 'mongoose';
import { TicketModel } from './ticket.model';

/** The first of `count` numbers a write with `$inc: { eventSeq: count }` took, from the ticket it returned (its state after). */
export const firstTakenSeq = (after: { eventSeq?: number } | null | undefined, count: number): number => (after?.eventSeq ?? count) - count + 1;

/**
 * Take `count` numbers of a ticket alone (through the driver: timestamps
 * stay as they are). undefined when the ticket is gone (its events then
 * keep no number; the feed orders them by time).
 */
export async function takeEventSeqs(ticketId: Types.ObjectId, count: number): Promise<number | undefined> {
  const after = await TicketModel.collection.findOneAndUpdate({ _id: ticketId }, { $inc: { eventSeq: count } }, { returnDocument: 'after', projection: { eventSeq: 1 } });
  return after ? firstTakenSeq(after as { eventSeq?: number }, count) : undefined;
}
