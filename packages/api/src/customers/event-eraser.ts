// Timeline events: every message and note of an erased ticket (answers,
// status notes, resolution notes, internal notes) becomes the placeholder.
// The ERASED event itself carries no message. Belongs with the tickets
// capability at merge (it owns ticket_events).
import type { Types } from 'mongoose';
import { TimelineEventKind } from '../tickets/ticket.enums';
import { TimelineEventModel } from '../tickets/timeline-event.model';
import { erasedEventId } from './erased-event';
import type { Eraser } from './eraser';
import { ERASED_TEXT } from './placeholders';

const withText = { kind: { $ne: TimelineEventKind.ERASED }, message: { $exists: true, $ne: ERASED_TEXT } };

/**
 * Texts of a ticket's erasure that were written after it finished (a
 * writer that took its place before the ERASED event, then stalled past
 * the settling): erased too. "Before" is the ticket's own event order
 * (`ticketSeq`, taken from the ticket by $inc), not a clock: a writer
 * whose clock runs ahead or behind is judged by when the database gave it
 * its place. Texts placed after the ERASED event are new, on an anonymous
 * ticket, and stay. Events from before ticketSeq existed are all earlier.
 */
export async function eraseLateTexts(ticketId: Types.ObjectId, erasedAt: Date): Promise<number> {
  const erased = await TimelineEventModel.collection.findOne<{ ticketSeq?: number }>({ _id: erasedEventId(ticketId, erasedAt) }, { projection: { ticketSeq: 1 } });
  // Without its ERASED event's place (not written yet, or a ticket gone), nothing can be told apart: wait for the next round.
  if (erased?.ticketSeq === undefined) return 0;
  const placedBefore = { $or: [{ ticketSeq: { $lt: erased.ticketSeq } }, { ticketSeq: { $exists: false } }] };
  const res = await TimelineEventModel.collection.updateMany({ ticketId, ...placedBefore, ...withText }, { $set: { message: ERASED_TEXT } });
  return res.modifiedCount;
}

export const timelineEventEraser: Eraser = {
  name: 'timeline events',
  reports: 'events',
  async erase(ticketIds) {
    const res = await TimelineEventModel.collection.updateMany(
      { ticketId: { $in: [...ticketIds] as Types.ObjectId[] }, ...withText },
      { $set: { message: ERASED_TEXT } },
    );
    return res.modifiedCount;
  },
};
