// One event's delivery to one webhook: its attempts and how they went
// (collection `webhook_deliveries`, one document per webhook and event).
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Types } from 'mongoose';
import { TimelineEventKind } from '../tickets/ticket.enums';

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  valuesConfig: {
    PENDING: { description: 'Not delivered yet; retried on the schedule.' },
    DELIVERED: { description: 'A 2xx answer came.' },
    FAILED: { description: 'The last retry failed; the webhook was disabled.' },
  },
});

@index({ webhookId: 1, eventId: 1 }, { unique: true })
@index({ webhookId: 1, seq: -1 })
@modelOptions({
  schemaOptions: { collection: 'webhook_deliveries', versionKey: false },
  options: { customName: 'WebhookDelivery' },
})
@ObjectType({ description: 'The delivery of one event to one webhook.' })
export class WebhookDelivery {
  public _id!: Types.ObjectId;

  @prop({ type: Types.ObjectId, required: true })
  public webhookId!: Types.ObjectId;

  @Field(() => ID, { description: 'The event delivered; also the webhook-id header.' })
  @prop({ type: Types.ObjectId, required: true })
  public eventId!: Types.ObjectId;

  /** Feed position of the event: deliveries list newest first by it. */
  @prop({ type: Number, required: true })
  public seq!: number;

  @Field(() => TimelineEventKind)
  @prop({ type: String, required: true })
  public kind!: TimelineEventKind;

  @Field(() => WebhookDeliveryStatus)
  @prop({ type: String, enum: WebhookDeliveryStatus, required: true })
  public status!: WebhookDeliveryStatus;

  @Field(() => Int)
  @prop({ type: Number, required: true })
  public attempts!: number;

  @Field(() => Date, { nullable: true })
  @prop({ type: Date })
  public lastAttemptAt?: Date | null;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last answer, if one came.' })
  @prop({ type: Number })
  public responseStatus?: number | null;

  @Field(() => String, { nullable: true, description: 'Why the last attempt failed, if it did.' })
  @prop({ type: String })
  public error?: string | null;

  /** The lease (webhook fence) it was last written under: a write under an older lease loses. */
  @prop({ type: Number })
  public fence?: number;
}

export const WebhookDeliveryModel = getModelForClass(WebhookDelivery);
