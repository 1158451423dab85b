// The tickets' own fields. Claiming a ticket for erasure and replacing its
// personal data is one conditional update: the email goes in the same
// write, so no second erasure (or lookup) finds the ticket again, and
// `erasedAt` marks it erased for good. `erasurePending` stays until every
// eraser has run, so a crash half-way is finished later (resumePending).
import type { Types } from 'mongoose';
import { TimelineEventKind } from '../tickets/ticket.enums';
import type { StoredTicket } from '../tickets/ticket.mappers';
import { ticketIndexes, type TicketStore } from '../tickets/ticket.store';
import { ERASED_EMAIL, ERASED_TEXT } from './placeholders';

/** The stored fields erasure adds to a ticket (outside the Ticket model: they belong to this capability). */
export interface ErasureMarks {
  erasedAt?: Date;
  erasurePending?: boolean;
  /** While pending: the keyed hash of the email a request erased (none for retention), so asking again finishes it. */
  erasedFor?: string;
}

export type ErasableTicket = StoredTicket & ErasureMarks;

/**
 * Claim one ticket: placeholders in, chat id out (it is unique per chat, so
 * no placeholder can stand in for it), only if nobody erased it before and
 * it still matches `condition` (retention: still past it, not reopened
 * since it was selected). True when this call claimed it.
 */
export async function claimTicket(
  store: TicketStore,
  ticket: ErasableTicket,
  at: Date,
  condition: Record<string, unknown> = {},
  erasedFor?: string,
): Promise<boolean> {
  const set: Record<string, unknown> = {
    customerEmail: ERASED_EMAIL,
    subject: ERASED_TEXT,
    description: ERASED_TEXT,
    erasedAt: at,
    erasurePending: true,
    ...(erasedFor && { erasedFor }),
  };
  if (ticket.customerName != null) set.customerName = ERASED_TEXT;
  if (ticket.resolutionNotes != null) set.resolutionNotes = ERASED_TEXT;
  // updatedAt stays: erasure is not a change of the ticket's work.
  // Search's words go in the same write: nothing finds the ticket by its customer's words any more.
  return store.claimForErasure(ticket._id, condition, set, ['chatId', 'searchWords']);
}

/**
 * Texts written onto a claimed ticket after the claim (a resolution racing
 * the erasure, or one written after it): replaced as well, and the
 * RESOLUTION_NOTE events that carry the same notes with them, so the ticket and
 * its timeline never disagree. Part of every settling pass and of the
 * background rounds.
 */
export async function scrubClaimedTickets(store: TicketStore, ticketIds: readonly Types.ObjectId[]): Promise<number> {
  const late = await store.find<{ _id: Types.ObjectId; resolutionNotes: string }>(
    {
      _id: { $in: [...ticketIds] },
      erasedAt: { $exists: true },
      resolutionNotes: { $exists: true, $ne: ERASED_TEXT },
    },
    { projection: { _id: 1, resolutionNotes: 1 } },
  );
  let scrubbed = 0;
  // Only the notes read: a newer resolution landing meanwhile is caught by the next pass.
  for (const t of late)
    scrubbed += await store.replaceIfStill(t._id, 'resolutionNotes', t.resolutionNotes, ERASED_TEXT);
  // Their events too, whenever they land (the event is written after the ticket): on an erased ticket, resolution notes are erased.
  const erased = await store.find<{ _id: Types.ObjectId }>(
    { _id: { $in: [...ticketIds] }, erasedAt: { $exists: true } },
    { projection: { _id: 1 } },
  );
  if (erased.length)
    scrubbed += await store.replaceEventMessages(
      { ticketId: { $in: erased.map((t) => t._id) }, kind: TimelineEventKind.RESOLUTION_NOTE },
      ERASED_TEXT,
    );
  return scrubbed;
}

/**
 * Every eraser ran: the ticket is no longer pending. One conditional write
 * per ticket, so of two callers finishing the same ticket (a request and
 * another finishing what it left) one finishes it: how many this call
 * finished is what its report counts, so each ticket is counted once.
 */
export function finishTickets(store: TicketStore, ticketIds: readonly Types.ObjectId[]): Promise<number> {
  return store.finishErasure(ticketIds);
}

/** The tickets a request for this email claimed and did not finish (a crash, or one still running). */
export async function pendingFor(store: TicketStore, erasedFor: string, limit: number): Promise<ErasableTicket[]> {
  return store.find<ErasableTicket>({ erasurePending: true, erasedFor }, { limit });
}

/** Tickets a crashed erasure left pending, claimed more than `olderThanMs` ago (younger ones are still being erased). */
export async function pendingTickets(
  store: TicketStore,
  olderThanMs: number,
  limit: number,
): Promise<Types.ObjectId[]> {
  const docs = await store.find<{ _id: Types.ObjectId }>(
    { erasurePending: true, erasedAt: { $lt: new Date(Date.now() - olderThanMs) } },
    { projection: { _id: 1 }, limit },
  );
  return docs.map((d) => d._id);
}

/** Tickets erased (and finished) since `since`, newest first: their ids and when they were claimed. */
export async function recentlyErased(
  store: TicketStore,
  since: Date,
  limit: number,
): Promise<{ _id: Types.ObjectId; erasedAt: Date }[]> {
  return store.find<{ _id: Types.ObjectId; erasedAt: Date }>(
    { erasedAt: { $gte: since }, erasurePending: { $exists: false } },
    { projection: { _id: 1, erasedAt: 1 }, sort: { erasedAt: -1 }, limit },
  );
}

/** Indexes for the queries above and the retention sweep, on the tickets collection. */
export const erasureIndexes = ticketIndexes([
  {
    key: { erasurePending: 1, erasedAt: 1 },
    options: { name: 'erasure_pending', partialFilterExpression: { erasurePending: true } },
  },
  { key: { erasedAt: -1 }, options: { name: 'erased_at', partialFilterExpression: { erasedAt: { $type: 'date' } } } },
  {
    key: { erasedFor: 1 },
    options: { name: 'erasure_requested', partialFilterExpression: { erasurePending: true } },
  },
  { key: { status: 1, resolvedAt: 1 }, options: { name: 'retention_resolved' } },
  { key: { status: 1, closedAt: 1 }, options: { name: 'retention_closed' } },
]);
