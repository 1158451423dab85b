// A bulk change as stored (collection `bulk_jobs`): its tickets fixed at
// start, the change, who asked, and its progress: `next`, the index of the
// first ticket not yet done, moved by a compare-and-set on itself, so two
// processes never count a ticket twice. The job carries its own lease
// (`holder`, `beat`: customers/sweep-lease.model.ts), so whichever API
// process holds it runs it, and another takes over when it stops beating.
// Per-ticket failures are kept apart (`bulk_job_failures`, one document per
// ticket, written once `next` moved past it, the failure kept on the job
// until then): jongodb has no `$push`.
import { getModelForClass, index, modelOptions, prop, Severity } from '@typegoose/typegoose';
import type { BulkChange } from './bulk-change';

export enum BulkJobState {
  RUNNING = 'RUNNING',
  DONE = 'DONE',
}

@index({ state: 1, createdAt: 1 })
@index({ owner: 1, state: 1 })
@modelOptions({
  schemaOptions: { collection: 'bulk_jobs', versionKey: false },
  options: { customName: 'BulkJob', allowMixed: Severity.ALLOW },
})
export class BulkJobRecord {
  /** An ObjectId's hex: its id in the API. */
  @prop({ type: String, required: true })
  public _id!: string;

  /** Who started it (bulk.service.ts ownerOf: the token, or the AGENT_TOKENS agent): whose budget it counts in. */
  @prop({ type: String, required: true })
  public owner!: string;

  /** The token's name: the actor of every event the job writes. */
  @prop({ type: String, required: true })
  public actor!: string;

  @prop({ type: Object, required: true })
  public change!: BulkChange;

  /** The tickets, normalised, each once, in the order asked (a view's: its order at start). */
  @prop({ type: [String], required: true })
  public numbers!: string[];

  /** Index of the first ticket not yet done (== numbers.length: all done). */
  @prop({ type: Number, required: true })
  public next!: number;

  @prop({ type: Number, required: true })
  public changed!: number;

  @prop({ type: Number, required: true })
  public failed!: number;

  @prop({ type: String, enum: BulkJobState, required: true })
  public state!: BulkJobState;

  @prop({ type: Date, required: true })
  public createdAt!: Date;

  @prop({ type: Date })
  public finishedAt?: Date | null;

  /** The lease: the process running it (null: nobody yet, or it let go). */
  @prop({ type: String })
  public holder?: string | null;

  /** The lease: bumped by the holder while it runs the job. */
  @prop({ type: Number, required: true })
  public beat!: number;

  /** True while its start has not yet got it a place in its owner's budget (bulk-slot.model.ts): no worker runs it. */
  @prop({ type: Boolean })
  public waiting?: boolean;

  /** Its place in its owner's budget (`bulk_slots`), let go when it is done. */
  @prop({ type: String })
  public slot?: string | null;

  /**
   * The failure counted with the last move of `next` (null: that ticket went
   * through): its record is written after the count, and again by the next
   * run, so a holder stopped in between loses no record.
   */
  @prop({ type: Object })
  public lastFailure?: BulkFailure | null;

  /** Rounds that failed at `next` without a ticket's own error (the engine gone): after a few, the ticket is given up as failed. */
  @prop({ type: Number })
  public tries?: number;
}

export const BulkJobModel = getModelForClass(BulkJobRecord);

/** A ticket's failure as the job keeps its last one. */
export interface BulkFailure {
  index: number;
  code: string;
  message: string;
}

/** One ticket a job could not change (`_id`: `<job>:<index>`, so writing it again is harmless). */
@index({ job: 1, index: 1 })
@modelOptions({
  schemaOptions: { collection: 'bulk_job_failures', versionKey: false },
  options: { customName: 'BulkJobFailure' },
})
export class BulkJobFailureRecord {
  @prop({ type: String, required: true })
  public _id!: string;

  @prop({ type: String, required: true })
  public job!: string;

  @prop({ type: Number, required: true })
  public index!: number;

  @prop({ type: String, required: true })
  public ticketNumber!: string;

  @prop({ type: String, required: true })
  public code!: string;

  @prop({ type: String, required: true })
  public message!: string;
}

export const BulkJobFailureModel = getModelForClass(BulkJobFailureRecord);
