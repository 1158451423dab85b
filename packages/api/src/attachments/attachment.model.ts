// One upload's metadata; its bytes live in the store (GridFS by default)
// under the same id. Written `pending` by createUpload, `receiving` while
// its PUT streams in, `stored` once complete; `eventId` set when a timeline
// event references it (once). Unreferenced ones are swept
// (attachment.service.ts): taken `removing`, their bytes removed, then the
// record, so a sweep that dies between leaves a record the next one finds.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Types } from 'mongoose';

export enum UploadState {
  PENDING = 'pending',
  RECEIVING = 'receiving',
  STORED = 'stored',
  /** Taken by a sweep: its bytes are being removed, then this record. */
  REMOVING = 'removing',
}

// The sweep's query and the pending-bytes sum: unreferenced uploads, oldest first.
@index({ createdAt: 1 }, { partialFilterExpression: { eventId: { $exists: false } } })
@index({ eventId: 1 }, { sparse: true })
@modelOptions({
  schemaOptions: { collection: 'attachments', versionKey: false },
  options: { customName: 'Attachment' },
})
export class StoredAttachment {
  public _id!: Types.ObjectId;

  /** Sanitised (filename.ts). */
  @prop({ type: String, required: true })
  public filename!: string;

  /** Declared at createUpload and confirmed from the bytes at upload. */
  @prop({ type: String, required: true })
  public contentType!: string;

  /** Bytes promised at createUpload; the upload must bring exactly these. */
  @prop({ type: Number, required: true })
  public size!: number;

  @prop({ type: String, required: true, enum: UploadState })
  public state!: UploadState;

  @prop({ type: Date, required: true })
  public createdAt!: Date;

  /** The upload URL works until then. */
  @prop({ type: Date, required: true })
  public uploadExpiresAt!: Date;

  @prop({ type: Date })
  public storedAt?: Date;

  /** When a sweep took it (state `removing`): a later sweep takes it again once this is long past. */
  @prop({ type: Date })
  public removingAt?: Date;

  /** Who asked for the upload URL: a public caller (false) or a token holder (true). A public createTicket may only claim public uploads. */
  @prop({ type: Boolean })
  public byToken?: boolean;

  /** When `eventId` was set: the event may still be being written for a while (the doctor leaves young claims alone). */
  @prop({ type: Date })
  public claimedAt?: Date;

  /** The timeline event that references it; unset while unreferenced. */
  @prop({ type: Types.ObjectId })
  public eventId?: Types.ObjectId;
}

export const AttachmentModel = getModelForClass(StoredAttachment);

/** What a timeline event keeps of each of its attachments: metadata, never bytes. */
export class AttachmentRef {
  @prop({ type: Types.ObjectId, required: true })
  public _id!: Types.ObjectId;

  @prop({ type: String, required: true })
  public filename!: string;

  @prop({ type: String, required: true })
  public contentType!: string;

  @prop({ type: Number, required: true })
  public size!: number;
}
