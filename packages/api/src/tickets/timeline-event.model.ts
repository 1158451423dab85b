// Timeline events live in their own append-only collection, indexed by
// ticket and time, instead of an ever-growing array inside the ticket.
// Each event also takes a place in the change feed (feed/): it is written
// `pending: true`, and the feed's sequencer puts it in a batch later.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Types } from 'mongoose';
import { AttachmentRef } from '../attachments/attachment.model';
import { EventVisibility, TimelineEventKind } from './ticket.enums';

@index({ ticketId: 1, at: 1 })
// One event per number of a ticket: a late event whose number was given up (feed/gap-watch.ts) is refused.
@index({ ticketId: 1, sequence: 1 }, { unique: true, partialFilterExpression: { sequence: { $type: 'number' } } })
// A public caller's timeline: the PUBLIC events only, found by the query (internal ones are never read for it).
@index({ ticketId: 1, visibility: 1, at: 1 })
// Events waiting for a feed position, in the order they happened.
@index({ pending: 1, at: 1, _id: 1 }, { partialFilterExpression: { pending: { $eq: true } } })
@modelOptions({
  schemaOptions: { collection: 'ticket_events', versionKey: false },
  options: { customName: 'TimelineEvent' },
})
@ObjectType({ description: 'Something that happened to a ticket.' })
export class TimelineEvent {
  public _id!: Types.ObjectId;

  @Field(() => ID, { description: 'Opaque, stable identifier.' })
  public id!: string;

  @prop({ type: Types.ObjectId, required: true })
  public ticketId!: Types.ObjectId;

  @Field(() => TimelineEventKind, { description: 'What happened.' })
  @prop({ type: String, required: true })
  public kind!: TimelineEventKind;

  // Stored with the event (the rule may grow); events from before it was stored get it from their kind (toEvent).
  @Field(() => EventVisibility, {
    description: 'PUBLIC: the customer sees it too; INTERNAL: only token holders with tickets:read.',
  })
  @prop({ type: String, enum: EventVisibility })
  public visibility?: EventVisibility;

  @Field({ description: 'When it happened (ISO-8601).' })
  @prop({ type: Date, required: true })
  public at!: Date;

  @Field(() => String, {
    nullable: true,
    description: "Message shown with the event: the agent's answer, a note, the resolution.",
  })
  @prop({ type: String })
  public message?: string;

  // Set on the way out only for callers with tickets:read (see toEvent); never through the public lookups.
  @Field(() => String, {
    nullable: true,
    description: 'Name of the token that made the event (tickets:read only); always null through the public lookups.',
  })
  @prop({ type: String })
  public actor?: string;

  // Taken in the write that changed the ticket (ticket.store.ts); events of tickets not yet numbered answer the old number + 1 (event-seq.ts).
  @Field(() => Int, {
    description:
      "The ticket's own event number: its CREATED is 1, each later event of the ticket has a higher one, in the order their writes won. The change feed, webhooks and ticketChanged deliver one ticket's events in increasing sequence. A number whose write failed may be missing.",
  })
  @prop({ type: Number })
  public sequence?: number;

  /** The previous numbering (0 for CREATED, then the ticket's `eventSeq`); read only to number old tickets (event-seq.ts). */
  @prop({ type: Number })
  public ticketSeq?: number;
  /** Metadata of the files attached (attachments/); exposed by AttachmentResolver. */
  @prop({ type: () => [AttachmentRef], _id: false })
  public attachments?: AttachmentRef[];

  /** The bulk job (bulk/) whose change made it: how a resumed job knows this ticket's change is already done. */
  @prop({ type: String })
  public bulkJob?: string;

  /** true until the feed's sequencer has put the event in a batch, then false. */
  @prop({ type: Boolean })
  public pending?: boolean;
}

export const TimelineEventModel = getModelForClass(TimelineEvent);
