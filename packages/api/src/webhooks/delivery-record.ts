// Delivery records, written only under a webhook's lease (webhook.lease.ts).
import type { Types } from 'mongoose';
import { deliveriesCollection, webhooksCollection } from './durable';
import type { WebhookDeliveryStatus } from './webhook-delivery.model';
import type { TimelineEventKind } from '../tickets/ticket.enums';

export interface AttemptOutcome {
  status: WebhookDeliveryStatus;
  lastAttemptAt: Date;
  responseStatus: number | null;
  error: string | null;
}

export interface RecordKey {
  webhookId: Types.ObjectId;
  eventId: Types.ObjectId;
  seq: number;
  kind: TimelineEventKind;
}

/**
 * One attempt's record, under the lease with this fence. A record written
 * under a newer lease is never overwritten: the filter misses it and the
 * upsert collides with it on the unique (webhookId, eventId). False then.
 */
export async function recordAttempt(fence: number, key: RecordKey, outcome: AttemptOutcome): Promise<boolean> {
  try {
    await deliveriesCollection().updateOne(
      {
        webhookId: key.webhookId,
        eventId: key.eventId,
        $or: [{ fence: { $lte: fence } }, { fence: { $exists: false } }],
      },
      { $set: { seq: key.seq, kind: key.kind, fence, ...outcome }, $inc: { attempts: 1 } },
      { upsert: true },
    );
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return false; // a newer holder wrote it: ours is stale
    throw err;
  }
}

/**
 * After a write under the lease missed: if the webhook was deleted, remove
 * its records again. deleteWebhook removes the webhook, then its records;
 * a sender checks after its own record write, so one of the two runs last.
 */
export async function forgetIfDeleted(webhookId: Types.ObjectId): Promise<boolean> {
  if (await webhooksCollection().countDocuments({ _id: webhookId }, { limit: 1 })) return false;
  await deliveriesCollection().deleteMany({ webhookId });
  return true;
}

/** Records whose webhook is gone (a sender that wrote after the delete and died before taking them back). */
export async function sweepOrphanRecords(): Promise<number> {
  const ids = (await deliveriesCollection().distinct('webhookId')) as Types.ObjectId[];
  let removed = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const live = new Set(
      (
        await webhooksCollection()
          .find({ _id: { $in: chunk } })
          .toArray()
      ).map((w) => String(w._id)),
    );
    const gone = chunk.filter((id) => !live.has(String(id)));
    if (gone.length) removed += (await deliveriesCollection().deleteMany({ webhookId: { $in: gone } })).deletedCount;
  }
  return removed;
}
