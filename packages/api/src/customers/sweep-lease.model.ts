// Who runs a background sweep right now (collection `sweep_leases`, one
// document per sweep). No clock is compared between processes: the holder
// bumps `beat` on every round; another process takes over only after it
// has seen the same beat for the lease's length on its own monotonic
// clock (the holder stopped), with a compare-and-set on that beat, so one
// process wins. This needs no database time (jongodb has no $$NOW nor
// update pipelines) and holds on MongoDB by the atomicity of single-
// document updates. A holder paused longer than the lease may overlap its
// successor for one round: sweeps only erase, idempotently, so that costs
// work, never data.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';
import type { Collection } from 'mongoose';
import { isDuplicateKeyError } from '../errors/duplicate-key';

@modelOptions({
  schemaOptions: { collection: 'sweep_leases', versionKey: false },
  options: { customName: 'SweepLease' },
})
export class SweepLease {
  @prop({ type: String, required: true })
  public _id!: string;

  /** The holding process, or null once it let go. */
  @prop({ type: String })
  public holder?: string | null;

  /** Bumped by the holder on each round: what the others watch. */
  @prop({ type: Number, required: true })
  public beat!: number;
}

export const SweepLeaseModel = getModelForClass(SweepLease);

type Stored = { _id: string; holder?: string | null; beat: number };

export class Lease {
  readonly me = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  /** The beat this process last wrote as holder: grows with every round and every new holder (a fencing token). */
  token = -1;
  private seen?: { holder: string | null; beat: number; since: number };

  constructor(
    private readonly name: string,
    private readonly ttlMs: number,
    /** Where the lease's document is: `sweep_leases`, or documents that carry their own (bulk jobs: holder, beat). */
    private readonly collection?: Collection,
  ) {}

  private get col() {
    return this.collection ?? SweepLeaseModel.collection;
  }

  /** Hold (or renew, or take over) the lease for one round; false when another process has it. */
  async hold(): Promise<boolean> {
    const doc = await this.col.findOne<Stored>({ _id: this.name as never });
    if (!doc) {
      try {
        await this.col.insertOne({ _id: this.name as never, holder: this.me, beat: 0 });
        this.token = 0;
        return true;
      } catch (err) {
        if (isDuplicateKeyError(err)) return false;
        throw err;
      }
    }
    const holder = doc.holder ?? null;
    const mine = holder === this.me;
    const free = holder === null;
    if (!mine && !free) {
      const now = performance.now();
      if (!this.seen || this.seen.holder !== holder || this.seen.beat !== doc.beat) {
        this.seen = { holder, beat: doc.beat, since: now };
        return false;
      }
      if (now - this.seen.since < this.ttlMs) return false;
    }
    const res = await this.col.updateOne(
      { _id: this.name as never, holder, beat: doc.beat },
      { $set: { holder: this.me }, $inc: { beat: 1 } },
    );
    this.seen = undefined;
    if (res.modifiedCount === 1) this.token = doc.beat + 1;
    return res.modifiedCount === 1;
  }

  /** Let go (on stop): another process may take it on its next round. */
  async release(): Promise<void> {
    await this.col.updateOne(
      { _id: this.name as never, holder: this.me },
      { $set: { holder: null }, $inc: { beat: 1 } },
    );
  }
}
