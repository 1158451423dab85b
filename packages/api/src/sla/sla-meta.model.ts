// The worker's own bookkeeping (collection `sla_meta`): `feed` holds the
// change-feed position up to which tickets were recomputed.
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
}

export const SlaMetaModel = getModelForClass(SlaMeta);
