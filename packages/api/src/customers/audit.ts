// Recording a customers' data request: a line in the log and a document
// in `customer_audit`, each with the email's keyed hash, never the email.
// The key lives outside the database when AUDIT_KEY is set; entries keep
// the day, not the instant (an instant would match the erased tickets'
// `erasedAt` and tie them back to the hash), in their id too: an ObjectId
// made the usual way holds the second it was made. Entries older than
// AUDIT_RETENTION_DAYS are deleted (deleteExpired, run by the sweep).
import { createHmac, randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import type { Logger } from '../logging/logger';
import { auditKey, storedAuditKey } from './audit-key.model';
import { AuditAction, CustomerAuditModel } from './customer-audit.model';
import type { ErasureCounts } from './eraser';

export const DAY_MS = 86_400_000;

/** The start (UTC) of the day of `at`: what the audit keeps. */
export const dayOf = (at: Date): Date => new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);

/**
 * An entry's id: the day's start where an ObjectId keeps its second, then 8
 * random bytes (a usual ObjectId's are its process's and a counter, shared
 * with the ids of the erased tickets' events made a moment before).
 */
export function dayId(day: Date): Types.ObjectId {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(dayOf(day).getTime() / 1000), 0);
  randomBytes(8).copy(bytes, 4);
  return new Types.ObjectId(bytes);
}

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
    // Neither the email, its hash nor the counts in the log: the line's own time, joined to the entry by its
    // counts, would tie the hash to the erasure's instant.
    this.log.info({ audit: { action, actor } }, `customers' data: ${action.toLowerCase()} recorded`);
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
