// A webhook: where to POST which events (collection `webhooks`). Besides
// what integrators see, it keeps its delivery state: how far in the change
// feed it has delivered, the retry of the event at its head, and the lease
// that lets one API process at a time send to it (see dispatcher.ts).
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, ID, ObjectType } from 'type-graphql';
import { Types } from 'mongoose';
import { TimelineEventKind } from '../tickets/ticket.enums';

/** What `owner` reads for webhooks made before owners were recorded: no token name looks like it. */
export const UNOWNED = '(unowned)';

// The dispatcher's question: enabled webhooks behind the feed, oldest first.
@index({ enabled: 1, cursor: 1 })
@index({ owner: 1, createdAt: 1 })
@index({ ownerId: 1, createdAt: 1 })
@modelOptions({ schemaOptions: { collection: 'webhooks', versionKey: false }, options: { customName: 'Webhook' } })
@ObjectType({ description: 'Where timeline events are POSTed, signed (Standard Webhooks).' })
export class Webhook {
  public _id!: Types.ObjectId;

  @Field(() => ID)
  public id!: string;

  @Field({ description: 'http(s) URL the events are POSTed to.' })
  @prop({ type: String, required: true })
  public url!: string;

  @Field(() => [TimelineEventKind], {
    description:
      'The kinds sent; empty: every kind. ERASED is sent whatever the kinds: a receiver told of a ticket is also told to erase it.',
  })
  @prop({ type: () => [String], required: true, default: [] })
  public kinds!: TimelineEventKind[];

  @Field({
    description:
      'false after the last retry failed, or when turned off; updateWebhook(enabled: true) resumes with the first event not yet delivered.',
  })
  @prop({ type: Boolean, required: true, default: true })
  public enabled!: boolean;

  @Field()
  @prop({ type: Date, required: true })
  public createdAt!: Date;

  /** The name of the token that made it; absent on webhooks made before owners existed (UNOWNED). */
  @Field(() => String, {
    description: `The name of the token that made it ("agent" for AGENT_TOKENS); "${UNOWNED}" for webhooks made before owners were recorded, which only webhooks:admin sees.`,
  })
  @prop({ type: String })
  public owner?: string;

  /** The unique id of that token ("agent" for AGENT_TOKENS): what ownership checks compare, so a revoked name reissued inherits nothing. */
  @prop({ type: String })
  public ownerId?: string | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed, if it did.' })
  @prop({ type: String })
  public lastError?: string | null;

  /** "whsec_" + base64: the signing key (it must be readable to sign with). */
  @prop({ type: String, required: true })
  public secret!: string;

  /** Feed position delivered (or passed over) up to; at creation, the end of the feed then. */
  @prop({ type: Number, required: true })
  public cursor!: number;

  /** Failed attempts at the event after `cursor`. */
  @prop({ type: Number, required: true, default: 0 })
  public failures!: number;

  /** After a failed attempt: how long to wait before the next, measured by whoever sees it waiting. */
  @prop({ type: Number, required: true, default: 0 })
  public retryDelayMs!: number;

  /** The API process sending to it now (null: nobody). */
  @prop({ type: String })
  public leaseOwner?: string | null;

  /** Raised by each lease taken: writes under a lease carry it and lose to a higher one. */
  @prop({ type: Number, required: true, default: 0 })
  public fence!: number;

  /** Changes with every write of the sender: a stamp that stays the same for a lease's length means its sender is gone. */
  @prop({ type: String, required: true, default: '' })
  public stamp!: string;

  /** Raised by replayWebhook: a sender's cursor write made before a replay does not stand. */
  @prop({ type: Number, required: true, default: 0 })
  public epoch!: number;

  /** The lease length its holder runs on (WEBHOOK_LEASE_SECONDS of that process): observers wait the longer of it and their own. */
  @prop({ type: Number })
  public leaseMs?: number;
}

export const WebhookModel = getModelForClass(Webhook);
