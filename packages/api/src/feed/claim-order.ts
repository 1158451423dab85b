// The order a claim gives pending events, as pure functions. Across
// tickets, time order (the writers' clocks) is good enough: the feed only
// promises one order for every reader there. Within one ticket the feed
// promises increasing `sequence` (the ticket's own event number, taken in
// the write that changed the ticket, tickets/ticket.store.ts), whichever
// process wrote the events, whatever its clock says and however long it
// stalled before inserting them: an event is claimed only once the one
// numbered just before it is in the feed (or was given up, gap-watch.ts).
import type { Types } from 'mongoose';
import { sequenceOf } from '../tickets/event-seq';

export interface PendingEvent {
  _id: Types.ObjectId;
  ticketId: Types.ObjectId;
  at: Date;
  /** The ticket's own event number; missing on events of tickets not yet numbered (they are ordered by the old number, never held). */
  sequence?: number;
  /** The old number, read only when `sequence` is missing. */
  ticketSeq?: number;
}

/** Where the event numbered just before a ticket's lowest pending one stands: in the feed (or given up), pending but not in this claim, or nowhere. */
export type Before = 'fed' | 'pending' | 'missing';

/** A number of a ticket whose event is missing while later ones wait. */
export interface Gap {
  ticketId: Types.ObjectId;
  sequence: number;
}

/** Within one ticket: sequence, then time, then id. */
export function compareInTicket(a: PendingEvent, b: PendingEvent): number {
  const seq = sequenceOf(a) - sequenceOf(b);
  if (seq) return seq;
  const time = a.at.getTime() - b.at.getTime();
  if (time) return time;
  const x = a._id.toHexString();
  const y = b._id.toHexString();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Each ticket's events among `taken` and `waiting`, in ticket order, each event once. */
function byTicket(taken: PendingEvent[], waiting: PendingEvent[]): Map<string, PendingEvent[]> {
  const lists = new Map<string, PendingEvent[]>();
  const inTaken = new Set(taken.map((e) => e._id.toHexString()));
  for (const e of [...taken, ...waiting.filter((w) => !inTaken.has(w._id.toHexString()))]) {
    const key = e.ticketId.toHexString();
    const list = lists.get(key);
    if (list) list.push(e);
    else lists.set(key, [e]);
  }
  for (const list of lists.values()) list.sort(compareInTicket);
  return lists;
}

/** The lowest numbered pending event of each ticket, when it is not its ticket's first: whose predecessor the claim must look up. */
export function predecessorsToCheck(taken: PendingEvent[], waiting: PendingEvent[] = []): Gap[] {
  const out: Gap[] = [];
  for (const list of byTicket(taken, waiting).values()) {
    const lowest = list.find((e) => e.sequence !== undefined);
    if (lowest && lowest.sequence! > 1) out.push({ ticketId: lowest.ticketId, sequence: lowest.sequence! - 1 });
  }
  return out;
}

/**
 * `taken`: the pending events a claim takes, in time order (the first of
 * the backlog). `waiting`: the other pending events of the same tickets
 * with lower numbers (asked for only when the claim was cut at the batch
 * size). `before(ticket)`: where the predecessor of the ticket's lowest
 * numbered event stands (predecessorsToCheck). Each ticket keeps the slots
 * it has in `taken`, filled with its own events in ticket order, and only
 * as far as its numbers run without a hole: what follows a missing number
 * waits, and the hole is reported in `gaps`.
 */
export function planClaim(
  taken: PendingEvent[],
  waiting: PendingEvent[] = [],
  before: (ticketKey: string) => Before = () => 'fed',
): { claim: PendingEvent[]; gaps: Gap[] } {
  const gaps: Gap[] = [];
  const ready = new Map<string, PendingEvent[]>();
  for (const [key, list] of byTicket(taken, waiting)) {
    const run: PendingEvent[] = [];
    let prev: number | undefined;
    for (const e of list) {
      if (e.sequence === undefined) {
        run.push(e);
        continue;
      }
      if (prev === undefined && e.sequence > 1) {
        const state = before(key);
        if (state === 'missing') gaps.push({ ticketId: e.ticketId, sequence: e.sequence - 1 });
        if (state !== 'fed') break;
      } else if (prev !== undefined && e.sequence !== prev + 1) {
        gaps.push({ ticketId: e.ticketId, sequence: prev + 1 });
        break;
      }
      run.push(e);
      prev = e.sequence;
    }
    ready.set(key, run);
  }
  const used = new Map<string, number>();
  const claim = taken.flatMap((e) => {
    const key = e.ticketId.toHexString();
    const i = used.get(key) ?? 0;
    used.set(key, i + 1);
    const next = ready.get(key)![i];
    return next ? [next] : [];
  });
  return { claim, gaps };
}

/** planClaim's claim, every predecessor taken as fed. */
export function claimOrder(taken: PendingEvent[], waiting: PendingEvent[] = []): PendingEvent[] {
  return planClaim(taken, waiting).claim;
}
