// One record per inbound Message-ID (unique: a message is taken once,
// whichever process reads it and however often): what became of it, and
// the ticket it opened or answered. The message itself is not kept: its
// text is on the ticket; a refused one is moved aside in the mailbox.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Types } from 'mongoose';

export enum InboundOutcome {
  /** Being processed by the process that took it. */
  TAKEN = 'TAKEN',
  OPENED = 'OPENED',
  REPLIED = 'REPLIED',
  /** Auto-reply, bounce, our own message, or refused: why is in `reason`. */
  IGNORED = 'IGNORED',
  REJECTED = 'REJECTED',
}

@index({ messageId: 1 }, { unique: true })
@index({ ticketId: 1 })
@index({ senderHash: 1 })
@modelOptions({
  schemaOptions: { collection: 'email_inbound', versionKey: false },
  options: { customName: 'InboundMail' },
})
export class InboundMail {
  public _id!: Types.ObjectId;

  @prop({ type: String, required: true })
  public messageId!: string;

  @prop({ type: String, required: true })
  public mailbox!: string;

  @prop({ type: String, enum: InboundOutcome, required: true })
  public outcome!: InboundOutcome;

  @prop({ type: String })
  public reason?: string;

  @prop({ type: Types.ObjectId })
  public ticketId?: Types.ObjectId;

  /** The ticket's event this message became. */
  @prop({ type: Types.ObjectId })
  public eventId?: Types.ObjectId;

  /** Its sender, as a hash of the address (mail-records.ts): export and erasure find the customer's mail by it. */
  @prop({ type: String })
  public senderHash?: string;

  /** Sent from the address of the ticket it opened or answered. */
  @prop({ type: Boolean })
  public fromCustomer?: boolean;

  /** The reader that holds it while TAKEN, and the lease fence it claimed it under (mail-in.ts). */
  @prop({ type: String })
  public owner?: string;

  @prop({ type: Number })
  public fence?: number;

  @prop({ type: Date, required: true })
  public at!: Date;
}

export const InboundMailModel = getModelForClass(InboundMail);
