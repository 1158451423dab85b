// Recording a customers' data request: a line in the log and a document
// in `customer_audit`, each with the email's keyed hash, never the email.
import { createHmac } from 'node:crypto';
import type { Logger } from '../logging/logger';
import { auditKey } from './audit-key.model';
import { AuditAction, CustomerAuditModel } from './customer-audit.model';
import type { ErasureCounts } from './eraser';

export class CustomerAuditLog {
  private key?: Promise<Buffer>;

  constructor(private readonly log: Pick<Logger, 'info'>) {}

  /** HMAC-SHA256 (hex) of a normalised email under this database's audit key. */
  async emailHash(email: string): Promise<string> {
    this.key ??= auditKey().catch((err) => {
      this.key = undefined;
      throw err;
    });
    return createHmac('sha256', await this.key).update(email).digest('hex');
  }

  async record(action: AuditAction, actor: string, email: string | null, counts: Partial<ErasureCounts> & { tickets: number }): Promise<void> {
    const emailHash = email === null ? undefined : await this.emailHash(email);
    const entry = { action, actor, at: new Date(), ...(emailHash && { emailHash }), ...counts };
    await CustomerAuditModel.collection.insertOne(entry);
    // "email" in a key is redacted by the logger: the hash goes as personHash.
    this.log.info({ audit: { action, actor, personHash: emailHash, ...counts } }, `customers' data: ${action.toLowerCase()} recorded`);
  }

  /** Every entry for this email, newest first. */
  async entriesFor(email: string): Promise<{ action: AuditAction; actor: string; at: Date; tickets: number; events?: number; attachments?: number }[]> {
    const emailHash = await this.emailHash(email);
    return CustomerAuditModel.collection.find<{ action: AuditAction; actor: string; at: Date; tickets: number; events?: number; attachments?: number }>({ emailHash }).sort({ at: -1 }).toArray();
  }
}
