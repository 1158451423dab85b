// Fencing the SLA worker's writes. The lease (sweep_leases) says who should
// work, but a holder frozen past it (SIGSTOP, a long GC pause, a slow host)
// wakes up believing it still holds it and writes what it computed before.
// So every write it makes carries an epoch and is conditional on it: a
// document already written under a later epoch refuses the write. The
// epoch grows each time a process takes the lease (not on renewals), from a
// counter in `sla_meta` moved by compare-and-set (a conditional updateOne:
// the embedded engine has no atomic conditional findOneAndUpdate).
import type { Collection } from 'mongodb';
import type { Lease } from '../customers/sweep-lease.model';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import { SlaMetaModel } from './sla-meta.model';

/** A write refused because a later holder of the lease wrote that document: this process must stop its round. */
export class FencedOut extends Error {
  constructor(refused: number) {
    super(`${refused} write(s) refused: another process holds the SLA lease now`);
    this.name = 'FencedOut';
  }
}

/** Matches a document no later epoch wrote. */
export const notFencedBy = (field: string, epoch: number): Record<string, unknown> => ({
  $or: [{ [field]: { $exists: false } }, { [field]: { $lte: epoch } }],
});

const EPOCH_ID = 'epoch';

/**
 * The next epoch: a compare-and-set on the counter. A counter that is
 * missing (a new database, or sla_meta emptied) starts above every fence
 * already stored, so writes under it are not refused forever.
 */
export async function nextEpoch(highestStored: () => Promise<number>): Promise<number> {
  const col = SlaMetaModel.collection;
  for (let attempt = 0; attempt < 20; attempt++) {
    const doc = await col.findOne<{ n: number }>({ _id: EPOCH_ID as never });
    if (!doc) {
      const n = (await highestStored()) + 1;
      try {
        await col.insertOne({ _id: EPOCH_ID as never, n });
        return n;
      } catch (err) {
        if (isDuplicateKeyError(err)) continue;
        throw err;
      }
    }
    const res = await col.updateOne({ _id: EPOCH_ID as never, n: doc.n }, { $set: { n: doc.n + 1 } });
    if (res.modifiedCount === 1) return doc.n + 1;
  }
  throw new Error('sla: could not take an epoch (the counter kept moving)');
}

/** The lease, and the epoch of this process's current holding. */
export class FencedLease {
  /** -1: not held since this process started. */
  epoch = -1;

  constructor(
    private readonly lease: Lease,
    private readonly highestStored: () => Promise<number>,
  ) {}

  /** Hold the lease for a round; a new holding (anyone else's beat in between) takes a new epoch. */
  async hold(): Promise<boolean> {
    const before = this.lease.token;
    if (!(await this.lease.hold())) return false;
    if (this.epoch < 0 || this.lease.token !== before + 1) this.epoch = await nextEpoch(this.highestStored);
    return true;
  }

  release(): Promise<void> {
    return this.lease.release();
  }
}

export interface FencedWrite {
  _id: unknown;
  set: Record<string, unknown>;
}

async function fencedUpdates(col: Collection, field: string, epoch: number, writes: FencedWrite[]): Promise<number> {
  if (!writes.length) return 0;
  const res = await col.bulkWrite(
    writes.map((w) => ({
      updateOne: {
        filter: { _id: w._id, ...notFencedBy(field, epoch) } as never,
        update: { $set: { ...w.set, [field]: epoch } },
      },
    })),
    { ordered: false },
  );
  return writes.length - res.matchedCount;
}

/** One document: a conditional update, else an insert; 1 when a later epoch holds it. */
async function setOne(col: Collection, field: string, epoch: number, w: FencedWrite): Promise<number> {
  if ((await fencedUpdates(col, field, epoch, [w])) === 0) return 0;
  try {
    await col.insertOne({ _id: w._id, ...w.set, [field]: epoch } as never);
    return 0;
  } catch (err) {
    if (isDuplicateKeyError(err)) return 1;
    throw err;
  }
}

/**
 * Set these documents' fields under `epoch`: documents known to exist by a
 * conditional update, the others by an insert (one that another process
 * inserted meanwhile is then updated, conditionally). Returns the number
 * of writes refused: documents a later epoch wrote (or that went away).
 */
export async function fencedSet(
  col: Collection,
  field: string,
  epoch: number,
  writes: readonly FencedWrite[],
  exists: (id: unknown) => boolean,
): Promise<number> {
  const updates = writes.filter((w) => exists(w._id));
  const inserts = writes.filter((w) => !exists(w._id));
  let refused = await fencedUpdates(col, field, epoch, updates);
  if (inserts.length) {
    try {
      await col.insertMany(
        inserts.map((w) => ({ _id: w._id, ...w.set, [field]: epoch }) as never),
        { ordered: false },
      );
    } catch (err) {
      const dup =
        isDuplicateKeyError(err) || [(err as { writeErrors?: unknown }).writeErrors].flat().some(isDuplicateKeyError);
      if (!dup) throw err;
      // Another process inserted some meanwhile; which, not every engine says (jongodb): one at a time.
      for (const w of inserts) refused += await setOne(col, field, epoch, w);
    }
  }
  return refused;
}

/**
 * Write these whole documents under `epoch`, in two statements whatever
 * their number (on the embedded engine each write statement costs a pass
 * over the collection, so one per document does not scale): those stored
 * before are removed by one conditional delete (a document a later epoch
 * wrote stays, and counts as refused), then all that may be written go in
 * by one insert. `journal` is told the ids before the delete and `cleared`
 * after the insert, so that a process that dies in between leaves their
 * ids for the next holder to compute again. Returns the writes refused.
 */
export async function fencedReplace(
  col: Collection,
  field: string,
  epoch: number,
  writes: readonly FencedWrite[],
  existed: (id: unknown) => boolean,
  journal: { note(ids: unknown[]): Promise<void>; cleared(): Promise<void> },
): Promise<number> {
  const old = writes.filter((w) => existed(w._id)).map((w) => w._id);
  if (!old.length) return fencedSet(col, field, epoch, writes, () => false);
  await journal.note(old);
  const res = await col.deleteMany({ _id: { $in: old }, ...notFencedBy(field, epoch) } as never);
  let kept = new Set<string>();
  if (res.deletedCount !== old.length)
    // Kept by a later epoch (refused), or removed meanwhile (written again here): which, ask.
    kept = new Set((await col.find({ _id: { $in: old } } as never).toArray()).map((d) => String(d._id)));
  const refused =
    kept.size +
    (await fencedSet(
      col,
      field,
      epoch,
      writes.filter((w) => !kept.has(String(w._id))),
      () => false,
    ));
  await journal.cleared();
  return refused;
}
