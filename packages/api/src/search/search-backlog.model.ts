// Tickets whose search entries must be written again: a failed index write,
// or tickets from before search existed. Drained by the background round.
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';
import { Types } from 'mongoose';

@modelOptions({
  schemaOptions: { collection: 'search_backlog', versionKey: false },
  options: { customName: 'SearchBacklog' },
})
export class SearchBacklog {
  public _id!: Types.ObjectId;

  /** When it was (last) queued: a round removes only the marks it read. */
  @prop({ type: Date, required: true })
  public at!: Date;
}

export const SearchBacklogModel = getModelForClass(SearchBacklog);
