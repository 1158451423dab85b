// One record per event that mails the customer: its Message-ID (chosen
// when the event is queued, so every retry sends the same one), the
// outcome agents see on the event, and nothing personal (the address and
// texts are read from the ticket when the message is sent).
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Types } from 'mongoose';

export enum EmailStatus {
  PENDING = 'PENDING',
  SENT = 'SENT',
  FAILED = 'FAILED',
}
registerEnumType(EmailStatus, {
  name: 'EmailStatus',
  description: 'Where an email to the customer stands.',
  valuesConfig: {
    PENDING: { description: 'Queued, or waiting to be tried again after a temporary failure.' },
    SENT: { description: 'The mail server accepted it.' },
    FAILED: { description: 'Given up: refused for good, or still failing after the last retry (see error).' },
  },
});

/** Which message an event sends. */
export type MailTemplate = 'created' | 'answer' | 'resolved';

// Sending: the pending ones in feed order.
@index({ status: 1, seq: 1 }, { partialFilterExpression: { status: 'PENDING' } })
@index({ ticketId: 1, seq: 1 })
@index({ messageId: 1 }, { unique: true })
@modelOptions({
  schemaOptions: { collection: 'email_messages', versionKey: false },
  options: { customName: 'OutboundMail' },
})
@ObjectType({ description: 'The email an event sent the customer (tickets:read).' })
export class OutboundMail {
  /** The event's id: one message per event. */
  public _id!: Types.ObjectId;

  @prop({ type: Types.ObjectId, required: true })
  public ticketId!: Types.ObjectId;

  /** The event's place in the change feed. */
  @prop({ type: Number, required: true })
  public seq!: number;

  @prop({ type: String, required: true })
  public template!: MailTemplate;

  @Field({ description: "The message's Message-ID (the same on every attempt)." })
  @prop({ type: String, required: true })
  public messageId!: string;

  @Field(() => EmailStatus, { description: 'Where it stands.' })
  @prop({ type: String, enum: EmailStatus, required: true })
  public status!: EmailStatus;

  @Field(() => Int, { description: 'Attempts made so far.' })
  @prop({ type: Number, required: true })
  public attempts!: number;

  @Field(() => String, {
    nullable: true,
    description: "The mail server's answer to the last failed attempt (no address, no text).",
  })
  @prop({ type: String })
  public lastError?: string;

  @Field(() => Date, { nullable: true, description: 'When the mail server accepted it.' })
  @prop({ type: Date })
  public sentAt?: Date;

  @prop({ type: Date, required: true })
  public createdAt!: Date;

  /** Not tried again before this (the database's time), after a temporary failure. */
  @prop({ type: Date })
  public retryAt?: Date;

  /** The confirmation was counted against its recipient's hourly cap (once, whatever the attempts). */
  @prop({ type: Boolean })
  public capCounted?: boolean;
}

export const OutboundMailModel = getModelForClass(OutboundMail);
