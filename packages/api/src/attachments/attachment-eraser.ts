// Erasure's part here (customers/eraser.ts): the files attached to an
// erased ticket's events. Their bytes and records go, and the events'
// copies of their names (a filename can be personal data) are dropped.
// Idempotent: a second run finds no record and no copy.
import type { Types } from 'mongoose';
import type { Eraser } from '../customers/eraser';
import { TimelineEventModel } from '../tickets/timeline-event.model';
import { AttachmentModel } from './attachment.model';
import type { AttachmentStore } from './attachment-store';

export function attachmentEraser(store: AttachmentStore): Eraser {
  /** Remove the files of the events matching `events` (a ticket_events filter), and the events' copies of their names. */
  async function removeFilesOf(events: Record<string, unknown>): Promise<number> {
    const ids = (
      await TimelineEventModel.collection.find<{ _id: Types.ObjectId }>(events, { projection: { _id: 1 } }).toArray()
    ).map((e) => e._id);
    if (!ids.length) return 0;
    const files = await AttachmentModel.find({ eventId: { $in: ids } }, { _id: 1 }).lean<{ _id: Types.ObjectId }[]>();
    for (const { _id } of files) {
      // Bytes first: a crash in between leaves a record that the next run (or the doctor) finds.
      await store.remove(_id);
      await AttachmentModel.deleteOne({ _id });
    }
    await TimelineEventModel.collection.updateMany(
      { _id: { $in: ids }, 'attachments.0': { $exists: true } },
      { $unset: { attachments: '' } },
    );
    return files.length;
  }
  return {
    name: 'attachments',
    reports: 'attachments',
    erase: (ticketIds) => removeFilesOf({ ticketId: { $in: [...ticketIds] as Types.ObjectId[] } }),
    eraseLate: (_ticketId, placedBefore) => removeFilesOf(placedBefore),
  };
}
