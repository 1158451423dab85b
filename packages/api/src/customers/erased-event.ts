// The ERASED event that tells the feed, webhooks (`ticket.erased`) and
// subscribers that a ticket's data is gone. Its id is made from the ticket
// and the time of the claim, so writing it twice (a resumed erasure, two
// processes finishing the same one) leaves one event: the second insert
// is a duplicate key, and ignored.
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import type { TicketStore } from '../tickets/ticket.store';
import { TimelineEventKind, visibilityOf } from '../tickets/ticket.enums';

/** 4 bytes of the claim's seconds (ObjectIds order by them), 8 of the ticket's hash. */
export function erasedEventId(ticketId: Types.ObjectId, erasedAt: Date): Types.ObjectId {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(erasedAt.getTime() / 1000), 0);
  createHash('sha256').update(ticketId.toHexString()).update('erased').digest().copy(bytes, 4, 0, 8);
  return new Types.ObjectId(bytes);
}

/** Write the ERASED event of a claimed ticket, once; true when this call wrote it. */
export async function recordErased(
  store: TicketStore,
  ticketId: Types.ObjectId,
  erasedAt: Date,
  actor: string,
): Promise<boolean> {
  // pending: the feed's sequencer gives it a place, like every event;
  // its sequence keeps it after the ticket's earlier events (a second write gives its number up at once).
  const sequence = await store.takeSequences(ticketId, 1);
  try {
    await store.insertEvent({
      _id: erasedEventId(ticketId, erasedAt),
      ticketId,
      at: erasedAt,
      kind: TimelineEventKind.ERASED,
      visibility: visibilityOf(TimelineEventKind.ERASED),
      actor,
      pending: true,
      ...(sequence !== undefined && { sequence }),
    });
    return true;
  } catch (err) {
    if (sequence !== undefined) await store.giveUp(ticketId, [sequence]);
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}
