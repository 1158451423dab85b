// The order of the change feed, a batch at a time (collection
// `feed_batches`). A batch holds the events at positions _id .. end, in
// order. Batches are contiguous: each starts right after the one before,
// and _id's uniqueness lets exactly one sequencer claim each start.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Types } from 'mongoose';

/** The most events one batch holds; also bounds how far back a position's batch starts. */
export const MAX_BATCH = 500;

// `since`: the first batch whose maxAtSoFar reaches a time is one index
// lookup (maxAtSoFar never decreases along the feed), not a walk.
@index({ maxAtSoFar: 1, _id: 1 })
@modelOptions({
  schemaOptions: { collection: 'feed_batches', versionKey: false },
  options: { customName: 'FeedBatch' },
})
export class FeedBatch {
  /** Position of the first event. */
  @prop({ type: Number, required: true })
  public _id!: number;

  /** Position of the last event. */
  @prop({ type: Number, required: true })
  public end!: number;

  /** The events at positions _id .. end, in that order. */
  @prop({ type: () => [Types.ObjectId], required: true })
  public ids!: Types.ObjectId[];

  /** The latest event time in the batch (the writers' clocks). */
  @prop({ type: Date, required: true })
  public maxAt!: Date;

  /**
   * The latest event time in this batch and every batch before it: never
   * decreases along the feed, so it can be searched. Missing only on
   * batches from before it existed, until a sequencer fills it in.
   */
  @prop({ type: Date })
  public maxAtSoFar?: Date;

  /** The batch's events are no longer marked pending. */
  @prop({ type: Boolean, required: true })
  public done!: boolean;
}

export const FeedBatchModel = getModelForClass(FeedBatch);
