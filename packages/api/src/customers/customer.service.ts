// The customers' data capability as the rest of the process sees it:
// export, erasure and the audit trail behind both.
import type { Logger } from '../logging/logger';
import type { TicketStore } from '../tickets/ticket.store';
import { CustomerAuditLog, type AuditOptions } from './audit';
import type { Eraser } from './eraser';
import { ErasureService, type ErasureHooks } from './erasure.service';
import { ExportService } from './export.service';
import { idempotencyEraser } from './idempotency.eraser';
import { timelineEventEraser } from './event.eraser';

/**
 * The erasers of the capabilities that exist today, in the order they run.
 * A composition root adds the others (attachments: delete the bytes and
 * count them under `attachments`).
 */
export const builtInErasers = (store: TicketStore): readonly Eraser[] => [
  timelineEventEraser(store),
  idempotencyEraser(store),
];

export class CustomerService {
  readonly audit: CustomerAuditLog;
  readonly erasure: ErasureService;
  private readonly exports: ExportService;

  constructor(
    log: Logger,
    store: TicketStore,
    erasers: readonly Eraser[],
    hooks: ErasureHooks = {},
    audit: AuditOptions = {},
  ) {
    this.audit = new CustomerAuditLog(log, audit);
    this.erasure = new ErasureService(erasers, store, this.audit, log, hooks);
    this.exports = new ExportService(this.audit, store);
  }

  export(email: string, actor: string) {
    return this.exports.export(email, actor);
  }

  erase(email: string, actor: string) {
    return this.erasure.eraseCustomer(email, actor);
  }
}
