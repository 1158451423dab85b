// Timeline events: every message and note of an erased ticket (answers,
// status notes, resolution notes, internal notes) becomes the placeholder.
// The ERASED event itself carries no message. Belongs with the tickets
// capability at merge (it owns ticket_events).
import type { Types } from 'mongoose';
import { TimelineEventKind } from '../tickets/ticket.enums';
import { TimelineEventModel } from '../tickets/timeline-event.model';
import type { Eraser } from './eraser';
import { ERASED_TEXT } from './placeholders';

const withText = { kind: { $ne: TimelineEventKind.ERASED }, message: { $exists: true, $ne: ERASED_TEXT } };

/**
 * Texts stamped at or before a ticket's erasure that were written after
 * it finished (a writer that stalled past the settling): erased too. Texts
 * stamped after the ERASED event are new, on an anonymous ticket, and stay.
 */
export async function eraseLateTexts(ticketId: Types.ObjectId, erasedAt: Date): Promise<number> {
  const res = await TimelineEventModel.collection.updateMany({ ticketId, at: { $lte: erasedAt }, ...withText }, { $set: { message: ERASED_TEXT } });
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
