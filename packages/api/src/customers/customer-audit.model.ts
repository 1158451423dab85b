// The audit trail of customers' data requests (collection
// `customer_audit`): who asked, when, what came of it, and a keyed hash of
// the email, never the email, so an operator can prove a request was
// honoured (`npm run customers -- audit --email <e>`) without keeping
// what was erased.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Types } from 'mongoose';

export enum AuditAction {
  EXPORT = 'EXPORT',
  ERASE = 'ERASE',
  RETENTION = 'RETENTION',
  /** Erasures a crash interrupted, finished later (their own request was not recorded: it failed). */
  RESUMED = 'RESUMED',
}

@index({ emailHash: 1, at: -1 })
@index({ at: -1 })
@modelOptions({
  schemaOptions: { collection: 'customer_audit', versionKey: false },
  options: { customName: 'CustomerAudit' },
})
export class CustomerAudit {
  public _id!: Types.ObjectId;

  @prop({ type: String, enum: AuditAction, required: true })
  public action!: AuditAction;

  /** The token's name (API), "cli:<user>" (command line) or "retention" (the sweep). */
  @prop({ type: String, required: true })
  public actor!: string;

  /** The day (its start, UTC), never the instant: an instant would match the erased tickets' erasedAt. */
  @prop({ type: Date, required: true })
  public at!: Date;

  /** HMAC-SHA256 of the normalised email under the audit key (audit-key.model.ts); none for retention and resumed batches. */
  @prop({ type: String })
  public emailHash?: string;

  @prop({ type: Number, required: true })
  public tickets!: number;

  @prop({ type: Number })
  public events?: number;

  @prop({ type: Number })
  public attachments?: number;

  /** Only on an older entry while it is given an id of its day (audit-instants.ts): its copy's id. */
  @prop({ type: Types.ObjectId })
  public movingTo?: Types.ObjectId;
}

export const CustomerAuditModel = getModelForClass(CustomerAudit);
