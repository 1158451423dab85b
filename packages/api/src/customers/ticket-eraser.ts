// The tickets' own fields. Claiming a ticket for erasure and replacing its
// personal data is one conditional update: the email goes in the same
// write, so no second erasure (or lookup) finds the ticket again, and
// `erasedAt` marks it erased for good. `erasurePending` stays until every
// eraser has run, so a crash half-way is finished later (resumePending).
import type { Types } from 'mongoose';
import { TimelineEventKind } from '../tickets/ticket.enums';
import { TicketModel } from '../tickets/ticket.model';
import { TimelineEventModel } from '../tickets/timeline-event.model';
import type { StoredTicket } from '../tickets/ticket.service';
import { ERASED_EMAIL, ERASED_TEXT } from './placeholders';

/** The stored fields erasure adds to a ticket (outside the Ticket model: they belong to this capability). */
export interface ErasureMarks {
  erasedAt?: Date;
  erasurePending?: boolean;
  /** While pending: the keyed hash of the email a request erased (none for retention), so asking again finishes it. */
  erasedFor?: string;
}

export type ErasableTicket = StoredTicket & ErasureMarks;

const tickets = () => TicketModel.collection;

/**
 * Claim one ticket: placeholders in, chat id out (it is unique per chat, so
 * no placeholder can stand in for it), only if nobody erased it before and
 * it still matches `condition` (retention: still past it, not reopened
 * since it was selected). True when this call claimed it.
 */
export async function claimTicket(
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
  const res = await tickets().updateOne(
    { ...condition, _id: ticket._id, erasedAt: { $exists: false } },
    { $set: set, $unset: { chatId: '' } },
  );
  return res.modifiedCount === 1;
}

/**
 * Texts written onto a claimed ticket after the claim (a resolution racing
 * the erasure, or one written after it): replaced as well, and the
 * RESOLUTION_NOTE events that carry the same notes with them, so the ticket and
 * its timeline never disagree. Part of every settling pass and of the
 * background rounds.
 */
export async function scrubClaimedTickets(ticketIds: readonly Types.ObjectId[]): Promise<number> {
  const late = await tickets()
    .find<{ _id: Types.ObjectId; resolutionNotes: string }>(
      {
        _id: { $in: [...ticketIds] },
        erasedAt: { $exists: true },
        resolutionNotes: { $exists: true, $ne: ERASED_TEXT },
      },
      { projection: { _id: 1, resolutionNotes: 1 } },
    )
    .toArray();
  let scrubbed = 0;
  // Only the notes read: a newer resolution landing meanwhile is caught by the next pass.
  for (const t of late)
    scrubbed += (
      await tickets().updateOne(
        { _id: t._id, resolutionNotes: t.resolutionNotes },
        { $set: { resolutionNotes: ERASED_TEXT } },
      )
    ).modifiedCount;
  // Their events too, whenever they land (the event is written after the ticket): on an erased ticket, resolution notes are erased.
  const erased = await tickets()
    .find<{ _id: Types.ObjectId }>(
      { _id: { $in: [...ticketIds] }, erasedAt: { $exists: true } },
      { projection: { _id: 1 } },
    )
    .toArray();
  if (erased.length) {
    const res = await TimelineEventModel.collection.updateMany(
      {
        ticketId: { $in: erased.map((t) => t._id) },
        kind: TimelineEventKind.RESOLUTION_NOTE,
        message: { $exists: true, $ne: ERASED_TEXT },
      },
      { $set: { message: ERASED_TEXT } },
    );
    scrubbed += res.modifiedCount;
  }
  return scrubbed;
}

/**
 * Every eraser ran: the ticket is no longer pending. One conditional write
 * per ticket, so of two callers finishing the same ticket (a request and
 * another finishing what it left) one finishes it: how many this call
 * finished is what its report counts, so each ticket is counted once.
 */
export async function finishTickets(ticketIds: readonly Types.ObjectId[]): Promise<number> {
  let finished = 0;
  for (const _id of ticketIds)
    finished += (
      await tickets().updateOne({ _id, erasurePending: true }, { $unset: { erasurePending: '', erasedFor: '' } })
    ).modifiedCount;
  return finished;
}

/** The tickets a request for this email claimed and did not finish (a crash, or one still running). */
export async function pendingFor(erasedFor: string, limit: number): Promise<ErasableTicket[]> {
  return tickets().find<ErasableTicket>({ erasurePending: true, erasedFor }).limit(limit).toArray();
}

/** Tickets a crashed erasure left pending, claimed more than `olderThanMs` ago (younger ones are still being erased). */
export async function pendingTickets(olderThanMs: number, limit: number): Promise<Types.ObjectId[]> {
  const docs = await tickets()
    .find<{ _id: Types.ObjectId }>(
      { erasurePending: true, erasedAt: { $lt: new Date(Date.now() - olderThanMs) } },
      { projection: { _id: 1 } },
    )
    .limit(limit)
    .toArray();
  return docs.map((d) => d._id);
}

/** Tickets erased (and finished) since `since`, newest first: their ids and when they were claimed. */
export async function recentlyErased(since: Date, limit: number): Promise<{ _id: Types.ObjectId; erasedAt: Date }[]> {
  return tickets()
    .find<{ _id: Types.ObjectId; erasedAt: Date }>(
      { erasedAt: { $gte: since }, erasurePending: { $exists: false } },
      { projection: { _id: 1, erasedAt: 1 } },
    )
    .sort({ erasedAt: -1 })
    .limit(limit)
    .toArray();
}

/** Indexes for the queries above and the retention sweep, on the tickets collection. */
export async function createErasureIndexes(): Promise<void> {
  await tickets().createIndex(
    { erasurePending: 1, erasedAt: 1 },
    { name: 'erasure_pending', partialFilterExpression: { erasurePending: true } },
  );
  await tickets().createIndex(
    { erasedAt: -1 },
    { name: 'erased_at', partialFilterExpression: { erasedAt: { $type: 'date' } } },
  );
  await tickets().createIndex(
    { erasedFor: 1 },
    { name: 'erasure_requested', partialFilterExpression: { erasurePending: true } },
  );
  await tickets().createIndex({ status: 1, resolvedAt: 1 }, { name: 'retention_resolved' });
  await tickets().createIndex({ status: 1, closedAt: 1 }, { name: 'retention_closed' });
}
