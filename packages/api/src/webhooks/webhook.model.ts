// A webhook: where to POST which events (collection `webhooks`). Besides
// what integrators see, it keeps its delivery state: how far in the change
// feed it has delivered, the retry of the event at its head, and the lease
// that lets one API process at a time send to it.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, ID, ObjectType } from 'type-graphql';
import { Types } from 'mongoose';
import { TimelineEventKind } from '../tickets/ticket.enums';

@index({ enabled: 1, leaseUntil: 1 })
@modelOptions({ schemaOptions: { collection: 'webhooks', versionKey: false }, options: { customName: 'Webhook' } })
@ObjectType({ description: 'Where timeline events are POSTed, signed (Standard Webhooks).' })
export class Webhook {
  public _id!: Types.ObjectId;

  @Field(() => ID)
  public id!: string;

  @Field({ description: 'http(s) URL the events are POSTed to.' })
  @prop({ type: String, required: true })
  public url!: string;

  @Field(() => [TimelineEventKind], { description: 'The kinds sent; empty: every kind.' })
  @prop({ type: () => [String], required: true, default: [] })
  public kinds!: TimelineEventKind[];

  @Field({ description: 'false after the last retry failed, or when turned off; updateWebhook(enabled: true) resumes with the first event not yet delivered.' })
  @prop({ type: Boolean, required: true, default: true })
  public enabled!: boolean;

  @Field()
  @prop({ type: Date, required: true })
  public createdAt!: Date;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed, if it did.' })
  @prop({ type: String })
  public lastError?: string | null;

  /** "whsec_" + base64: the signing key (it must be readable to sign with). */
  @prop({ type: String, required: true })
  public secret!: string;

  /** Feed position delivered (or passed over) up to. */
  @prop({ type: Number, required: true })
  public cursor!: number;

  /** Failed attempts at the event after `cursor`. */
  @prop({ type: Number, required: true, default: 0 })
  public failures!: number;

  /** Not before this time (a retry waits for its delay). */
  @prop({ type: Date })
  public nextAttemptAt?: Date | null;

  /** The API process sending to it, until leaseUntil. */
  @prop({ type: String })
  public leaseOwner?: string | null;

  @prop({ type: Date })
  public leaseUntil?: Date | null;
}

export const WebhookModel = getModelForClass(Webhook);
