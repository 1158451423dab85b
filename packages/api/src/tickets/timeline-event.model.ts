// Timeline events live in their own append-only collection, indexed by
// ticket and time, instead of an ever-growing array inside the ticket.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, ID, ObjectType } from 'type-graphql';
import { Types } from 'mongoose';
import { TimelineEventKind } from './ticket.enums';

/** Kinds stored but not (yet) part of the public timeline. */
export const INTERNAL_EVENT_KINDS = ['AGENT_RESPONSE'] as const;
export type StoredEventKind = TimelineEventKind | (typeof INTERNAL_EVENT_KINDS)[number];

@index({ ticketId: 1, at: 1 })
@modelOptions({ schemaOptions: { collection: 'ticket_events', versionKey: false }, options: { customName: 'TimelineEvent' } })
@ObjectType({ description: 'Something that happened to a ticket.' })
export class TimelineEvent {
  public _id!: Types.ObjectId;

  @Field(() => ID, { description: 'Opaque, stable identifier.' })
  public id!: string;

  @prop({ type: Types.ObjectId, required: true })
  public ticketId!: Types.ObjectId;

  @Field(() => TimelineEventKind, { description: 'What happened.' })
  @prop({ type: String, required: true })
  public kind!: StoredEventKind;

  @Field({ description: 'When it happened (ISO-8601).' })
  @prop({ type: Date, required: true })
  public at!: Date;

  @Field(() => String, { nullable: true, description: 'Message shown with the event: the agent\'s answer, a note, the resolution.' })
  @prop({ type: String })
  public message?: string;
}

export const TimelineEventModel = getModelForClass(TimelineEvent);
