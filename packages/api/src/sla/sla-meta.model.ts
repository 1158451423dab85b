// The worker's own bookkeeping (collection `sla_meta`): `feed` holds the
// change-feed position up to which tickets were recomputed; `resync` the
// walk over open tickets after a policy change (version, place, done);
// `epoch` the counter of lease holdings that fences the worker's writes.
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';

@modelOptions({ schemaOptions: { collection: 'sla_meta', versionKey: false }, options: { customName: 'SlaMeta' } })
export class SlaMeta {
  @prop({ type: String, required: true })
  public _id!: string;

  @prop({ type: Number })
  public position?: number;

  /** The id of the feed the position is in (feed/feed-id.ts). */
  @prop({ type: String })
  public feed?: string;

  /** resync: the policies' version walked, the last ticket _id done, and whether the walk is over. */
  @prop({ type: Number })
  public version?: number;

  @prop({ type: Boolean })
  public done?: boolean;

  /** epoch: the counter of lease holdings (sla-fence.ts). */
  @prop({ type: Number })
  public n?: number;

  /** The epoch that last wrote this document (sla-fence.ts). */
  @prop({ type: Number })
  public fence?: number;
}

export const SlaMetaModel = getModelForClass(SlaMeta);
