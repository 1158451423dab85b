// The fallback key the audit trail hashes emails with when AUDIT_KEY is
// unset (collection `audit_keys`): made at random by the first process
// that needs it, the same for every process after that. Kept in the same
// database as the audit, so whoever copies the database can recompute a
// hash from a guessed email: set AUDIT_KEY in production.
import { randomBytes } from 'node:crypto';
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';
import { isDuplicateKeyError } from '../errors/duplicate-key';

const KEY_ID = 'customer-email';

@modelOptions({ schemaOptions: { collection: 'audit_keys', versionKey: false }, options: { customName: 'AuditKey' } })
export class AuditKey {
  @prop({ type: String, required: true })
  public _id!: string;

  /** base64 of 32 random bytes. */
  @prop({ type: String, required: true })
  public key!: string;
}

export const AuditKeyModel = getModelForClass(AuditKey);

/** The key kept in the database, if one was ever made (entries hashed under it before AUDIT_KEY was set). */
export async function storedAuditKey(): Promise<Buffer | null> {
  const doc = await AuditKeyModel.collection.findOne<{ key: string }>({ _id: KEY_ID as never });
  return doc ? Buffer.from(String(doc.key), 'base64') : null;
}

/** The audit key, made once per database ($setOnInsert: two processes racing both read the winner's). */
export async function auditKey(): Promise<Buffer> {
  for (let attempt = 0; ; attempt++) {
    try {
      const doc = await AuditKeyModel.collection.findOneAndUpdate(
        { _id: KEY_ID as never },
        { $setOnInsert: { key: randomBytes(32).toString('base64') } },
        { upsert: true, returnDocument: 'after' },
      );
      return Buffer.from(String(doc!.key), 'base64');
    } catch (err) {
      if (!isDuplicateKeyError(err) || attempt >= 2) throw err;
    }
  }
}
