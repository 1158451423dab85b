// A saved view: a named search (query, filter, order) for one agent (the
// token that saved it) or shared with every agent.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, ID, ObjectType } from 'type-graphql';
import { Types } from 'mongoose';
import { TicketOrder } from '../listing/ticket-filter.input';

@index({ owner: 1, name: 1 })
@modelOptions({
  schemaOptions: { collection: 'ticket_views', versionKey: false, timestamps: true },
  options: { customName: 'SavedView' },
})
@ObjectType('TicketView', {
  description: 'A saved view: a named search (query, filter, order) for one agent or shared, with its count.',
})
export class SavedView {
  public _id!: Types.ObjectId;

  @Field(() => ID, { description: 'Its id (deleteView takes it).' })
  public id!: string;

  @Field({ description: 'Name shown in the inbox.' })
  @prop({ type: String, required: true })
  public name!: string;

  /** The token id that keeps it; null: shared. */
  @prop({ type: String, default: null })
  public owner!: string | null;

  @Field({
    description: 'Shared with every agent (kept with settings:manage); false: only the token that saved it sees it.',
  })
  public shared!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Search words (searchTickets); null: a plain listing (tickets).',
  })
  @prop({ type: String })
  public query?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The TicketFilter as JSON (pass it parsed as `filter`); null: none.',
  })
  @prop({ type: String })
  public filter?: string | null;

  @Field(() => TicketOrder, { description: 'Order of its listing (a search ranks best first).' })
  @prop({ type: String, enum: TicketOrder, required: true })
  public order!: TicketOrder;
}

export const SavedViewModel = getModelForClass(SavedView);
