// The mail loop guard's counts (mail-caps.ts): one counter per key and
// hour, the key naming what it counts (a sender, a ticket, a recipient)
// by a hash, never the address itself. `at` is the hour's start: the TTL
// index drops a counter two hours after it, never one still counting.
// (A new collection: the earlier one held a document per message.)
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Types } from 'mongoose';

@index({ key: 1, hour: 1 }, { unique: true })
@index({ at: 1 }, { expireAfterSeconds: 2 * 3600 })
@modelOptions({
  schemaOptions: { collection: 'email_cap_counts', versionKey: false },
  options: { customName: 'MailCap' },
})
export class MailCap {
  public _id!: Types.ObjectId;

  @prop({ type: String, required: true })
  public key!: string;

  /** Hours since the epoch, by the database's clock. */
  @prop({ type: Number, required: true })
  public hour!: number;

  @prop({ type: Number, required: true })
  public n!: number;

  @prop({ type: Date, required: true })
  public at!: Date;
}

export const MailCapModel = getModelForClass(MailCap);
