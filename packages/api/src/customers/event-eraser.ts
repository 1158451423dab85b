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
 * The events of an erased ticket that were placed before its ERASED event
 * (a writer that took its place first, then stalled past the settling).
 * "Before" is the ticket's own event order (`sequence`, taken in a
 * compare-and-set on the ticket), not a clock: a writer whose clock runs ahead or behind
 * is judged by when the database gave it its place. Events placed after
 * the ERASED event are new, on an anonymous ticket, and stay. Events from
 * before ticketSeq existed are all earlier. Null while the ERASED event
 * has no place yet (the next round tells them apart).
 */
export async function placedBeforeErasure(
  ticketId: Types.ObjectId,
  erasedAt: Date,
): Promise<Record<string, unknown> | null> {
  const erased = await TimelineEventModel.collection.findOne<{ sequence?: number }>(
    { _id: erasedEventId(ticketId, erasedAt) },
    { projection: { sequence: 1 } },
  );
  if (erased?.sequence === undefined) return null;
  return { ticketId, $or: [{ sequence: { $lt: erased.sequence } }, { sequence: { $exists: false } }] };
}

/** The texts of those late events: the placeholder. */
export async function eraseLateTexts(placedBefore: Record<string, unknown>): Promise<number> {
  const res = await TimelineEventModel.collection.updateMany(
    { ...placedBefore, ...withText },
    { $set: { message: ERASED_TEXT } },
  );
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
