// Recording a customers' data request: a line in the log and a document
// in `customer_audit`, each with the email's keyed hash, never the email.
// The key lives outside the database when AUDIT_KEY is set; entries keep
// the day, not the instant (an instant would match the erased tickets'
// `erasedAt` and tie them back to the hash), in their id too: an ObjectId
// made the usual way holds the second it was made. Entries older than
// AUDIT_RETENTION_DAYS are deleted (deleteExpired, run by the sweep).
import { createHmac, randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { database } from '../db/database';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import type { Logger } from '../logging/logger';
import { auditKey, storedAuditKey } from './audit-key.model';
import { AuditAction, CustomerAuditModel } from './customer-audit.model';
import type { ErasureCounts } from './eraser';

const DAY_MS = 86_400_000;

/** The start (UTC) of the day of `at`: what the audit keeps. */
export const dayOf = (at: Date): Date => new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);

/** An entry's id: the day's start where an ObjectId keeps its second, then 8 bytes (random, or an old id's). */
export function dayId(day: Date, rest: Uint8Array = randomBytes(8)): Types.ObjectId {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(dayOf(day).getTime() / 1000), 0);
  bytes.set(rest.subarray(rest.length - 8), 4);
  return new Types.ObjectId(bytes);
}

// Set once every entry's id holds its day only (forgetInstants).
const INSTANTS_FORGOTTEN = 'audit-day-ids-1';
const migrations = () => database().collection<{ _id: string; at: Date }>('schema_migrations');

export interface AuditOptions {
  /** AUDIT_KEY; unset: the database's own key (audit-key.model.ts). */
  key?: string;
  /** AUDIT_RETENTION_DAYS. */
  retentionDays?: number;
}

export type AuditEntry = {
  action: AuditAction;
  actor: string;
  at: Date;
  tickets: number;
  events?: number;
  attachments?: number;
};

export class CustomerAuditLog {
  private key?: Promise<Buffer>;

  constructor(
    private readonly log: Pick<Logger, 'info' | 'warn'>,
    private readonly options: AuditOptions = {},
  ) {}

  private currentKey(): Promise<Buffer> {
    if (this.options.key) return Promise.resolve(Buffer.from(this.options.key));
    this.key ??= auditKey().catch((err) => {
      this.key = undefined;
      throw err;
    });
    return this.key;
  }

  /** HMAC-SHA256 (hex) of a normalised email under the audit key. */
  async emailHash(email: string): Promise<string> {
    return createHmac('sha256', await this.currentKey())
      .update(email)
      .digest('hex');
  }

  async record(
    action: AuditAction,
    actor: string,
    email: string | null,
    counts: Partial<ErasureCounts> & { tickets: number },
  ): Promise<void> {
    const emailHash = email === null ? undefined : await this.emailHash(email);
    const at = dayOf(new Date());
    const entry = { _id: dayId(at), action, actor, at, ...(emailHash && { emailHash }), ...counts };
    await CustomerAuditModel.collection.insertOne(entry);
    // Neither the email nor its hash in the log: the log line's own time would tie the hash to the erasure's instant.
    this.log.info({ audit: { action, actor, ...counts } }, `customers' data: ${action.toLowerCase()} recorded`);
  }

  /**
   * Every entry for this email, newest day first, in no order within a day (also those hashed under the
   * database's key before AUDIT_KEY was set).
   */
  async entriesFor(email: string): Promise<AuditEntry[]> {
    const hashes = [await this.emailHash(email)];
    const stored = this.options.key ? await storedAuditKey() : null;
    if (stored) hashes.push(createHmac('sha256', stored).update(email).digest('hex'));
    return CustomerAuditModel.collection
      .find<AuditEntry>({ emailHash: { $in: hashes } })
      .sort({ at: -1, _id: -1 })
      .toArray();
  }

  /**
   * Give entries written before ids held the day only an id that does (the day's start and the old id's
   * 8 bytes after its second); how many. Run by the sweep, one process at a time, until it has once
   * gone through all: the copy's id is fixed by the old one, so a copy made twice is made once, and the
   * old entry goes after its copy is in.
   */
  async forgetInstants(): Promise<number> {
    if (await migrations().findOne({ _id: INSTANTS_FORGOTTEN })) return 0;
    const entries = CustomerAuditModel.collection;
    let moved = 0;
    for await (const entry of entries.find({})) {
      const id = entry._id;
      if ((id as { _bsontype?: string })._bsontype !== 'ObjectId' || !(entry.at instanceof Date)) continue;
      const old = id as Types.ObjectId;
      const day = dayOf(entry.at);
      if (old.getTimestamp().getTime() === day.getTime()) continue;
      try {
        await entries.insertOne({ ...entry, _id: dayId(day, old.id), at: day });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
      await entries.deleteOne({ _id: id });
      moved++;
    }
    try {
      await migrations().insertOne({ _id: INSTANTS_FORGOTTEN, at: dayOf(new Date()) });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    return moved;
  }

  /** Delete entries older than the retention period; how many. */
  async deleteExpired(now = new Date()): Promise<number> {
    const days = this.options.retentionDays;
    if (!days) return 0;
    const res = await CustomerAuditModel.collection.deleteMany({
      at: { $lt: new Date(dayOf(now).getTime() - days * DAY_MS) },
    });
    return res.deletedCount;
  }
}
