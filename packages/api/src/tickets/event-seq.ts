// A ticket's own event numbers, as pure rules. Each event's `sequence` is
// its place among its ticket's events (CREATED is 1), taken in the same
// conditional write that changes the ticket (ticket.store.ts): the ticket's
// `lastSequence` moves from s to s + n only if it still is s, so the order
// of the numbers is the order in which the writes won, on every engine.
// The change feed delivers a ticket's events in that order (feed/).
import type { Types } from 'mongoose';

/**
 * What the change feed's sequencer writes in place of a number whose event
 * never came (its writer died or stalled past the gap lease, feed/gap-watch.ts):
 * the unique index on (ticketId, sequence) then refuses the late event, so
 * nothing can arrive out of order. Not a TimelineEventKind: no reader shows it.
 */
export const SKIPPED_KIND = 'SEQUENCE_SKIPPED';

/** What the numbering of a ticket from before `sequence` existed reads of its events. */
export interface LegacyEvent {
  _id: Types.ObjectId;
  at: Date;
  /** The number of the previous scheme (0 for CREATED, then an $inc on the ticket); missing on older events still. */
  ticketSeq?: number;
}

/**
 * The sequences of a ticket's events from before `sequence` existed: the
 * order the feed already kept (events without `ticketSeq` first, then
 * `ticketSeq`, then time and id), numbered from 1. Deterministic, so two
 * processes numbering one ticket at once write the same values. For a
 * ticket numbered 0..n-1 by the old scheme this is ticketSeq + 1.
 */
export function legacySequences<T extends LegacyEvent>(events: readonly T[]): { event: T; sequence: number }[] {
  return [...events]
    .sort(
      (a, b) =>
        (a.ticketSeq ?? -1) - (b.ticketSeq ?? -1) ||
        a.at.getTime() - b.at.getTime() ||
        (a._id.toHexString() < b._id.toHexString() ? -1 : a._id.toHexString() > b._id.toHexString() ? 1 : 0),
    )
    .map((event, i) => ({ event, sequence: i + 1 }));
}

/** An event's place for readers that meet an event without `sequence` (one of a ticket not yet numbered): after the old scheme's number, else 0. */
export const sequenceOf = (e: { sequence?: number; ticketSeq?: number }): number =>
  e.sequence ?? (e.ticketSeq !== undefined ? e.ticketSeq + 1 : 0);
