// Timeline events: every message and note of an erased ticket (answers,
// status notes, resolution notes, internal notes) becomes the placeholder.
// The ERASED event itself carries no message. Belongs with the tickets
// capability at merge (it owns ticket_events).
import type { Types } from 'mongoose';
import { TimelineEventKind } from '../tickets/ticket.enums';
import type { TicketStore } from '../tickets/ticket.store';
import { erasedEventId } from './erased-event';
import type { Eraser } from './eraser';
import { ERASED_TEXT } from './placeholders';

/** Every event but the ERASED one (it carries no message); the store matches only messages not yet the placeholder. */
const withText = { kind: { $ne: TimelineEventKind.ERASED } };

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
  store: TicketStore,
  ticketId: Types.ObjectId,
  erasedAt: Date,
): Promise<Record<string, unknown> | null> {
  const erased = await store.eventById<{ sequence?: number }>(erasedEventId(ticketId, erasedAt));
  if (erased?.sequence === undefined) return null;
  return { ticketId, $or: [{ sequence: { $lt: erased.sequence } }, { sequence: { $exists: false } }] };
}

/** The texts of those late events: the placeholder. */
export function eraseLateTexts(store: TicketStore, placedBefore: Record<string, unknown>): Promise<number> {
  return store.replaceEventMessages({ ...placedBefore, ...withText }, ERASED_TEXT);
}

export const timelineEventEraser = (store: TicketStore): Eraser => ({
  name: 'timeline events',
  reports: 'events',
  erase: (ticketIds) =>
    store.replaceEventMessages({ ticketId: { $in: [...ticketIds] as Types.ObjectId[] }, ...withText }, ERASED_TEXT),
});
