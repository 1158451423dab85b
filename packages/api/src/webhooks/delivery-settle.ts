// A run of deliveries written down under a webhook's lease (dispatcher.ts,
// delivery-run.ts). The cursor write comes FIRST: it is conditional on the
// lease (fence, owner) and on the webhook being as the sender read it
// (cursor, epoch), so it is the write that proves the lease, whatever the
// holder's clock said before it. Records are written only after a write
// under the lease matched: a holder that lost its lease (paused between a
// clock check and its write, cut off from the database) writes none. When
// the cursor write missed because the webhook was replayed or updated
// while the run went out (the lease still ours: a renewal proves it), the
// run was delivered all the same, so its records are written and the cursor
// is left where the change put it (a replay forward past the run would
// otherwise leave deliveries the receiver got without a record). One paused
// after such a write records events no later holder sends again (the cursor
// is past them) but after a replay, whose records its own fenced writes
// still win (a later holder's fence is higher), or a delete, which it takes
// back (forgetIfDeleted).
import type { FeedChange } from '../feed/feed.service';
import type { StoredWebhook } from './durable';
import { forgetIfDeleted, highestRecord, recordDelivered } from './delivery-record';
import { WebhookDeliveryStatus } from './webhook-delivery.model';
import type { Lease, Leases } from './webhook.lease';

/** A 2xx not written down yet. */
export interface Delivered {
  change: FeedChange;
  at: Date;
  status: number | null;
}

/** The state a sender's cursor write expects: a replay or update (epoch) or another write in between voids it. */
export const expected = (w: StoredWebhook) => ({ cursor: w.cursor, epoch: w.epoch ?? 0 });

/**
 * Write down a run: the cursor past its last delivery (under the lease, as
 * read), then its records. False when the cursor write missed (the lease
 * passed; the webhook was replayed, updated or deleted) or a newer holder's
 * record was met: the sender stops, and the events not written are sent
 * again by whoever holds the webhook next. `w` and `recorded` follow what was written.
 */
export async function settleRun(
  leases: Leases,
  lease: Lease,
  w: StoredWebhook,
  done: readonly Delivered[],
  /** No record of this webhook lies past `upTo` (looked up when unknown). */
  recorded: { upTo?: number },
): Promise<boolean> {
  if (!done.length) return true;
  const last = done[done.length - 1].change.seq;
  const records = done.map((d) => ({
    key: { webhookId: w._id, eventId: d.change.event._id, seq: d.change.seq, kind: d.change.event.kind },
    outcome: { status: WebhookDeliveryStatus.DELIVERED, lastAttemptAt: d.at, responseStatus: d.status, error: null },
  }));
  if (!(await leases.write(lease, expected(w), { cursor: last, failures: 0, retryDelayMs: 0, lastError: null }))) {
    if (await forgetIfDeleted(w._id)) return false;
    // Replayed or updated meanwhile, and still ours: record what went out (each record checked: no hint past here).
    if (await leases.renew(lease)) {
      await recordDelivered(lease.fence, records);
      await forgetIfDeleted(w._id);
    }
    return false;
  }
  w.cursor = last;
  w.failures = 0;
  recorded.upTo ??= await highestRecord(w._id);
  const written = await recordDelivered(lease.fence, records, recorded.upTo);
  // Deleted between the cursor write and the records: take them back (deleteWebhook removed the rest).
  if (await forgetIfDeleted(w._id)) return false;
  if (!written) return false;
  recorded.upTo = Math.max(recorded.upTo, last);
  return true;
}
