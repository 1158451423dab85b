// The order a claim gives pending events, as a pure function. Across
// tickets, time order (the writers' clocks) is good enough: the feed only
// promises one order for every reader there. Within one ticket the feed
// promises the order in which the API acknowledged the events, whichever
// process wrote them and whatever its clock says: that is each event's
// `ticketSeq`, taken from an atomic counter on its ticket (tickets/).
import type { Types } from 'mongoose';

export interface PendingEvent {
  _id: Types.ObjectId;
  ticketId: Types.ObjectId;
  at: Date;
  /** Place among its ticket's events; missing on events from before it existed (they come first). */
  ticketSeq?: number;
}

/** Within one ticket: ticketSeq, then time, then id. */
export function compareInTicket(a: PendingEvent, b: PendingEvent): number {
  const seq = (a.ticketSeq ?? -1) - (b.ticketSeq ?? -1);
  if (seq) return seq;
  const time = a.at.getTime() - b.at.getTime();
  if (time) return time;
  const x = a._id.toHexString();
  const y = b._id.toHexString();
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * `taken`: the pending events a claim takes, in time order (the first of
 * the backlog). `waiting`: the other pending events of the same tickets
 * (asked for only when the claim was cut at the batch size). Each ticket
 * keeps the slots it has in `taken`, filled with its own first events in
 * ticket order: so what a ticket gets claimed is always its earliest
 * events, even when a writer's clock put an earlier one later in time.
 */
export function claimOrder(taken: PendingEvent[], waiting: PendingEvent[] = []): PendingEvent[] {
  const byTicket = new Map<string, PendingEvent[]>();
  const inTaken = new Set(taken.map((e) => e._id.toHexString()));
  for (const e of [...taken, ...waiting.filter((w) => !inTaken.has(w._id.toHexString()))]) {
    const key = e.ticketId.toHexString();
    const list = byTicket.get(key);
    if (list) list.push(e);
    else byTicket.set(key, [e]);
  }
  for (const list of byTicket.values()) list.sort(compareInTicket);
  const used = new Map<string, number>();
  return taken.map((e) => {
    const key = e.ticketId.toHexString();
    const i = used.get(key) ?? 0;
    used.set(key, i + 1);
    return byTicket.get(key)![i];
  });
}
