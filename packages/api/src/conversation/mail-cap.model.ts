// The mail loop guard's counts (mail-caps.ts): one document per counted
// message, under a key that names what it counts (a sender, a ticket, a
// recipient) by a hash, never the address itself. Kept two hours.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Types } from 'mongoose';

@index({ key: 1, at: 1 })
@index({ at: 1 }, { expireAfterSeconds: 2 * 3600 })
@modelOptions({
  schemaOptions: { collection: 'email_caps', versionKey: false },
  options: { customName: 'MailCap' },
})
export class MailCap {
  public _id!: Types.ObjectId;

  @prop({ type: String, required: true })
  public key!: string;

  @prop({ type: Date, required: true })
  public at!: Date;
}

export const MailCapModel = getModelForClass(MailCap);
