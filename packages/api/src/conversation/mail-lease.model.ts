// The mail jobs' leases (mail-lease.ts): one document per job, `outbound`
// (with its change-feed cursor) and `inbound:<mailbox>`.
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';

@modelOptions({
  schemaOptions: { collection: 'mail_leases', versionKey: false, _id: false },
  options: { customName: 'MailLease' },
})
export class MailLease {
  @prop({ type: String })
  public _id!: string;

  @prop({ type: String })
  public owner?: string | null;

  @prop({ type: Number })
  public fence!: number;

  @prop({ type: String })
  public stamp!: string;

  @prop({ type: Number })
  public cursor?: number;
}

export const MailLeaseModel = getModelForClass(MailLease);
