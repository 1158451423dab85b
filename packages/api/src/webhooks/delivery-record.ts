// Delivery records, written only under a webhook's lease (webhook.lease.ts).
import { MongoBulkWriteError } from 'mongodb';
import { Types } from 'mongoose';
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
 * The records of a run of deliveries (each a 2xx), under the lease with
 * this fence. Events delivered to this webhook for the first time (the
 * usual case) get theirs in one insert, whatever their number: on an
 * engine where each write costs the collection's size (jongodb) that is
 * one such cost a run, not one a delivery. Those with a record already (a
 * replay, a retry that went through) get recordAttempt's fenced update
 * each, as do those met by the insert (written meanwhile). False when a
 * record was written under a newer lease (ours are stale: the caller stops).
 */
export async function recordDelivered(
  fence: number,
  runs: readonly { key: RecordKey; outcome: AttemptOutcome }[],
  /** No record of this webhook is past this position (highestRecord): those past it are inserted unchecked. */
  recordedUpTo = Infinity,
): Promise<boolean> {
  if (!runs.length) return true;
  const webhookId = runs[0].key.webhookId;
  const maybe = runs.filter((r) => r.key.seq <= recordedUpTo);
  const existing = new Set(
    maybe.length
      ? (
          await deliveriesCollection()
            .find({ webhookId, eventId: { $in: maybe.map((r) => r.key.eventId) } })
            .toArray()
        ).map((d) => String(d.eventId))
      : [],
  );
  const fresh = runs.filter((r) => !existing.has(String(r.key.eventId)));
  let met = false;
  if (fresh.length)
    try {
      await deliveriesCollection().insertMany(
        fresh.map(({ key, outcome }) => ({ _id: new Types.ObjectId(), ...key, fence, ...outcome, attempts: 1 })),
        { ordered: false },
      );
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      met = true;
    }
  for (const r of runs)
    if (existing.has(String(r.key.eventId)) && !(await recordAttempt(fence, r.key, r.outcome))) return false;
  if (!met) return true;
  // Met a record written meanwhile (an older holder's late one, or a newer's). Engines differ on
  // what else such an insert wrote (MongoDB: the rest; jongodb: none), so each record not ours
  // now goes through the fenced update: an older one is written over, a newer one wins (false).
  const now = new Map(
    (
      await deliveriesCollection()
        .find({ webhookId, eventId: { $in: fresh.map((r) => r.key.eventId) } })
        .toArray()
    ).map((d) => [String(d.eventId), d.fence as number | undefined]),
  );
  for (const r of fresh)
    if (now.get(String(r.key.eventId)) !== fence && !(await recordAttempt(fence, r.key, r.outcome))) return false;
  return true;
}

const isDuplicate = (err: unknown): boolean => {
  if ((err as { code?: number }).code === 11000) return true;
  if (!(err instanceof MongoBulkWriteError)) return false;
  const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  return errors.some((e) => e?.code === 11000);
};

/** The position of this webhook's newest record (0: none): records are written only by its lease's holder. */
export async function highestRecord(webhookId: Types.ObjectId): Promise<number> {
  const newest = await deliveriesCollection().find({ webhookId }).sort({ seq: -1 }).limit(1).next();
  return newest?.seq ?? 0;
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
