// Who may send to a webhook, decided without comparing two clocks.
//
// A lease is the right of one API process to send to one webhook. Taking
// it raises the webhook's `fence`; every write the holder makes is
// conditional on that fence (and changes the webhook's `stamp`), so a
// holder that lost its lease cannot move the cursor, and delivery records
// carry the fence so an older holder's write loses to a newer one's.
//
// Expiry needs no shared clock: a process that sees a leased webhook's
// stamp stay the same for a whole lease period (measured on its own
// monotonic clock, from when it first saw that stamp) takes the lease
// over. The holder, for its part, stops sending once a lease period minus
// a margin has passed (on its own monotonic clock) since the start of its
// last successful write. Since every observer first saw that write after
// it was made, the holder's window always closes before a takeover opens,
// whatever the processes' wall clocks say. Only clock *rates* matter, and
// the margin covers their drift many times over.
//
// Why not the database's clock ($$NOW)? It would do on MongoDB, but the
// embedded engine has no time at all (no $$NOW, no update pipelines, no
// localTime in hello, no $currentDate); this scheme is correct on both,
// and uses nothing but single-document conditional updates.
import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import { webhooksCollection, type StoredWebhook } from './durable';

export const newStamp = () => randomBytes(8).toString('hex');

export interface Lease {
  id: Types.ObjectId;
  fence: number;
  /** performance.now() at the start of the last write that proved the lease still ours. */
  provenAt: number;
}

/** What a process has seen of a webhook's stamp, and since when (monotonic). */
export interface Sighting {
  stamp: string;
  since: number;
}

export class Leases {
  constructor(
    readonly owner: string,
    readonly leaseMs: number,
  ) {}

  /** Margin for clock-rate drift and the write's own travel: the holder stops this much early. */
  get marginMs(): number {
    return Math.max(500, this.leaseMs / 5);
  }

  /** Still ours on our own clock: no other process can have taken it over yet. */
  valid(lease: Lease): boolean {
    return performance.now() - lease.provenAt < this.leaseMs - this.marginMs;
  }

  /** Whether this process may take the webhook now, judging by what it has seen. */
  takeable(
    w: Pick<StoredWebhook, 'leaseOwner' | 'failures' | 'retryDelayMs' | 'leaseMs'>,
    seen: Sighting,
    now = performance.now(),
  ): boolean {
    const unchangedFor = now - seen.since;
    // Its sender went quiet: gone. The holder's own lease length counts when it is the longer (processes configured apart).
    if (w.leaseOwner && w.leaseOwner !== this.owner) return unchangedFor >= Math.max(this.leaseMs, w.leaseMs ?? 0);
    // A retry waits its delay, counted from when this process first saw the failure recorded.
    return !w.failures || unchangedFor >= (w.retryDelayMs ?? 0);
  }

  /** Take the lease over the state that was judged (same stamp and fence), or null. */
  async take(w: Pick<StoredWebhook, '_id' | 'stamp' | 'fence'>): Promise<Lease | null> {
    const provenAt = performance.now();
    const fence = (w.fence ?? 0) + 1;
    // A webhook left by a version before fences has none: it counts as 0.
    const fenced = w.fence ? { fence: w.fence } : { $or: [{ fence: 0 }, { fence: { $exists: false } }] };
    const res = await webhooksCollection().updateOne(
      { _id: w._id, stamp: w.stamp, ...fenced, enabled: true },
      { $set: { leaseOwner: this.owner, fence, stamp: newStamp(), leaseMs: this.leaseMs } },
    );
    return res.matchedCount === 1 ? { id: w._id, fence, provenAt } : null;
  }

  /**
   * A write under the lease: applied only while the lease is ours (and the
   * extra conditions hold); it renews the lease. False when it was not applied.
   */
  async write(lease: Lease, where: Record<string, unknown>, set: Record<string, unknown>): Promise<boolean> {
    const started = performance.now();
    const res = await webhooksCollection().updateOne(
      { ...where, _id: lease.id, fence: lease.fence, leaseOwner: this.owner },
      { $set: { ...set, stamp: newStamp(), leaseMs: this.leaseMs } },
    );
    if (res.matchedCount !== 1) return false;
    lease.provenAt = started;
    return true;
  }

  renew(lease: Lease): Promise<boolean> {
    return this.write(lease, {}, {});
  }

  /**
   * Write down how much of a retry's delay this process watched pass, so
   * that a restart loses none of it: the delay left is lowered by the time
   * this process saw the same stamp, conditional on that stamp (so two
   * observers never both subtract). Returns the new sighting, or null.
   */
  async creditWait(
    w: Pick<StoredWebhook, '_id' | 'stamp' | 'retryDelayMs'>,
    seen: Sighting,
    now = performance.now(),
  ): Promise<Sighting | null> {
    const stamp = newStamp();
    const left = Math.max(0, Math.ceil((w.retryDelayMs ?? 0) - (now - seen.since)));
    const res = await webhooksCollection().updateOne(
      { _id: w._id, stamp: w.stamp, leaseOwner: null },
      { $set: { retryDelayMs: left, stamp } },
    );
    return res.matchedCount === 1 ? { stamp, since: now } : null;
  }

  /** Hand the lease back: any process may take the webhook at once. */
  async release(lease: Lease): Promise<void> {
    await webhooksCollection().updateOne(
      { _id: lease.id, fence: lease.fence, leaseOwner: this.owner },
      { $set: { leaseOwner: null, stamp: newStamp() } },
    );
  }
}
