// Erasure's part here (customers/eraser.ts): the files attached to an
// erased ticket's events. Their bytes and records go, and the events'
// copies of their names (a filename can be personal data) are dropped.
// Idempotent: a second run finds no record and no copy.
import type { Types } from 'mongoose';
import type { Eraser } from '../customers/eraser';
import type { TicketStore } from '../tickets/ticket.store';
import { AttachmentModel } from './attachment.model';
import type { AttachmentStore } from './attachment.store';

export function attachmentEraser(store: AttachmentStore, tickets: TicketStore): Eraser {
  /** Remove the files of the events matching `events` (a ticket_events filter), and the events' copies of their names. */
  async function removeFilesOf(events: Record<string, unknown>): Promise<number> {
    const ids = (await tickets.findEvents<{ _id: Types.ObjectId }>(events, { _id: 1 })).map((e) => e._id);
    if (!ids.length) return 0;
    const files = await AttachmentModel.find({ eventId: { $in: ids } }, { _id: 1 }).lean<{ _id: Types.ObjectId }[]>();
    for (const { _id } of files) {
      // Bytes first: a crash in between leaves a record that the next run (or the doctor) finds.
      await store.remove(_id);
      await AttachmentModel.deleteOne({ _id });
    }
    await tickets.dropEventAttachments(ids);
    return files.length;
  }
  return {
    name: 'attachments',
    reports: 'attachments',
    erase: (ticketIds) => removeFilesOf({ ticketId: { $in: [...ticketIds] as Types.ObjectId[] } }),
    eraseLate: (_ticketId, placedBefore) => removeFilesOf(placedBefore),
  };
}
