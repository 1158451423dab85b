// Named tokens for integrators and agents (collection `api_tokens`). Only a
// digest of the secret is stored. A revoked token keeps its record (its name
// stays on the events it made) and frees its name for a new token.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import type { Types } from 'mongoose';
import type { Scope } from './scopes';

@index({ lookupId: 1 }, { unique: true })
// Names are unique among live tokens only: `activeName` is removed on revocation.
@index({ activeName: 1 }, { unique: true, partialFilterExpression: { activeName: { $type: 'string' } } })
@modelOptions({ schemaOptions: { collection: 'api_tokens', versionKey: false }, options: { customName: 'ApiToken' } })
export class ApiToken {
  public _id!: Types.ObjectId;

  @prop({ type: String, required: true })
  public name!: string;

  @prop({ type: String })
  public activeName?: string;

  @prop({ type: String, required: true })
  public lookupId!: string;

  @prop({ type: Buffer, required: true })
  public secretDigest!: Buffer;

  @prop({ type: () => [String], required: true })
  public scopes!: Scope[];

  @prop({ type: Date, required: true })
  public createdAt!: Date;

  @prop({ type: Date })
  public lastUsedAt?: Date;

  @prop({ type: Date })
  public revokedAt?: Date;
}

export const ApiTokenModel = getModelForClass(ApiToken);
