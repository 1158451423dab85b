// The policies, stored as ONE document (collection `sla_policies`): setting
// them replaces them all in a single write, and `version` tells the
// background worker (sla-worker.ts) that running deadlines must move.
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';
import { TicketPriority } from '../tickets/ticket.enums';

export class StoredHours {
  @prop({ type: Number, required: true })
  public day!: number;

  @prop({ type: String, required: true })
  public opens!: string;

  @prop({ type: String, required: true })
  public closes!: string;
}

export class StoredPolicy {
  @prop({ type: String, required: true })
  public id!: string;

  @prop({ type: String, required: true })
  public name!: string;

  @prop({ type: () => [String], enum: TicketPriority })
  public priorities!: TicketPriority[];

  @prop({ type: Number })
  public firstResponseMinutes?: number | null;

  @prop({ type: Number })
  public nextResponseMinutes?: number | null;

  @prop({ type: Number })
  public resolutionMinutes?: number | null;

  @prop({ type: String, required: true })
  public timeZone!: string;

  @prop({ type: () => [StoredHours], _id: false })
  public businessHours!: StoredHours[];

  @prop({ type: () => [String] })
  public holidays!: string[];
}

@modelOptions({
  schemaOptions: { collection: 'sla_policies', versionKey: false },
  options: { customName: 'SlaPolicies' },
})
export class SlaPolicies {
  /** Always "policies": there is one set. */
  @prop({ type: String, required: true })
  public _id!: string;

  /** Raised by every setSlaPolicies. */
  @prop({ type: Number, required: true })
  public version!: number;

  @prop({ type: () => [StoredPolicy], _id: false })
  public policies!: StoredPolicy[];
}

export const SlaPoliciesModel = getModelForClass(SlaPolicies);
export const POLICIES_ID = 'policies';

/** The policies as stored, with their version (0 and none before any were set). */
export interface PolicySet {
  version: number;
  policies: StoredPolicy[];
}
