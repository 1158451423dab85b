// What the change feed knows about itself (collection `feed_meta`): one
// document, `_id: "feed"`, holding the feed's id, made once at random by
// whichever process needs it first. Cursors carry it, so a cursor made by
// another database's feed is recognised as such.
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';

export const FEED_META_ID = 'feed';

@modelOptions({ schemaOptions: { collection: 'feed_meta', versionKey: false }, options: { customName: 'FeedMeta' } })
export class FeedMeta {
  @prop({ type: String, required: true })
  public _id!: string;

  /** 16 hex digits (8 random bytes). */
  @prop({ type: String, required: true })
  public feedId!: string;
}

export const FeedMetaModel = getModelForClass(FeedMeta);
