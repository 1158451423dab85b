// One process at a time for a mail job (sending; reading one mailbox),
// decided without comparing two hosts' clocks: the same scheme as the
// webhooks' leases (webhooks/webhook-lease.ts). Taking a lease raises its
// fence; each write of the holder is conditional on that fence and changes
// the stamp. Another process takes over only after it has seen the stamp
// unchanged for a whole lease period on its own monotonic clock, while the
// holder stops a margin before its own lease period runs out, counted
// from the start of its last write that proved the lease.
import { randomBytes } from 'node:crypto';
import { MailLeaseModel } from './mail-lease.model';

const stamp = () => randomBytes(8).toString('hex');
const leases = () => MailLeaseModel.collection;

export interface LeaseDoc {
  _id: string;
  owner: string | null;
  fence: number;
  stamp: string;
  /** The outbound job's place in the change feed. */
  cursor?: number;
  /** The outbound job: the SMTP server failed us this many rounds in a row; nothing is sent before sendAfter (database time). */
  transportFailures?: number;
  sendAfter?: Date | null;
}

export class MailLease {
  private fence = 0;
  private provenAt = -Infinity;
  private seen?: { stamp: string; since: number };

  constructor(
    readonly name: string,
    readonly owner: string,
    readonly leaseMs: number,
  ) {}

  /** The fence this holder took the lease with (0: not held): stamps what it claims under the lease. */
  get epoch(): number {
    return this.fence;
  }

  get marginMs(): number {
    return Math.max(500, this.leaseMs / 5);
  }

  /** Still ours by our own clock: nobody can have taken it over. */
  valid(): boolean {
    return this.fence > 0 && performance.now() - this.provenAt < this.leaseMs - this.marginMs;
  }

  /** Hold the lease (renewing it, or taking it when free or abandoned); `initial` fields for the first holder ever. */
  async hold(initial: () => Promise<Partial<LeaseDoc>> = async () => ({})): Promise<boolean> {
    if (this.fence && (await this.write({}))) return true;
    this.fence = 0;
    const doc = await leases().findOne<LeaseDoc>({ _id: this.name } as never);
    const started = performance.now();
    if (!doc) {
      try {
        await leases().insertOne({
          ...(await initial()),
          _id: this.name,
          owner: this.owner,
          fence: 1,
          stamp: stamp(),
        } as never);
      } catch (err) {
        if ((err as { code?: number }).code === 11000) return false; // another process was first
        throw err;
      }
      this.fence = 1;
      this.provenAt = started;
      return true;
    }
    if (doc.owner && doc.owner !== this.owner) {
      if (this.seen?.stamp !== doc.stamp) this.seen = { stamp: doc.stamp, since: started };
      if (started - this.seen.since < this.leaseMs) return false;
    }
    const fence = (doc.fence ?? 0) + 1;
    const res = await leases().updateOne({ _id: this.name, stamp: doc.stamp, fence: doc.fence } as never, {
      $set: { owner: this.owner, fence, stamp: stamp() },
    });
    if (res.matchedCount !== 1) return false;
    this.fence = fence;
    this.provenAt = started;
    return true;
  }

  /** The lease's document as it is (for its cursor). */
  async read(): Promise<LeaseDoc | null> {
    return leases().findOne<LeaseDoc>({ _id: this.name, fence: this.fence, owner: this.owner } as never);
  }

  /** A write under the lease (renews it); false when the lease is no longer ours. */
  async write(set: Record<string, unknown>, where: Record<string, unknown> = {}): Promise<boolean> {
    if (!this.fence) return false;
    const started = performance.now();
    const res = await leases().updateOne({ ...where, _id: this.name, fence: this.fence, owner: this.owner } as never, {
      $set: { ...set, stamp: stamp() },
    });
    if (res.matchedCount !== 1) return false;
    this.provenAt = started;
    return true;
  }

  /** Hand it back: any process may take it at once. */
  async release(): Promise<void> {
    if (!this.fence) return;
    const fence = this.fence;
    this.fence = 0;
    await leases().updateOne({ _id: this.name, fence, owner: this.owner } as never, {
      $set: { owner: null, stamp: stamp() },
    });
  }
}
