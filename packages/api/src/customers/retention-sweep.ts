// RETENTION_DAYS: tickets resolved or closed longer ago are erased in the
// background, by one process of the deployment at a time (sweep-lease),
// ERASE_BATCH tickets at a time. The state lives in the tickets
// themselves (erasedAt, erasurePending), so a crash mid-batch is resumed
// by whichever process holds the lease next. The same rounds finish
// erasures a crashed eraseCustomer left pending, and erase texts a stalled
// writer landed after an erasure finished, with or without retention.
import { LeaseRunner } from '../db/lease';
import { forgetAuditInstants } from './audit-instants';
import type { Logger } from '../logging/logger';
import type { TicketStore } from '../tickets/ticket.store';
import { TicketStatus } from '../tickets/ticket.enums';
import type { ErasureService } from './erasure.service';
import { ERASE_BATCH } from './erasure.service';
import { Lease } from './sweep-lease.model';
import type { ErasableTicket } from './ticket.eraser';

/** The actor of retention's ERASED events and audit entries. */
export const RETENTION_ACTOR = 'retention';
/** Most batches one round erases before letting the next round (and the lease's renewal) come. */
const BATCHES_PER_ROUND = 10;
const DAY_MS = 86_400_000;
const DONE = [TicketStatus.RESOLVED, TicketStatus.CLOSED];

/**
 * Resolved or closed, and the later of resolvedAt/closedAt before the
 * cutoff: a ticket closed yesterday after a resolution long ago is kept.
 */
export function expiredFilter(cutoff: Date): Record<string, unknown> {
  return {
    erasedAt: { $exists: false },
    $or: [
      { status: { $in: DONE }, resolvedAt: { $lt: cutoff } },
      { status: { $in: DONE }, closedAt: { $lt: cutoff } },
    ],
    $nor: [{ resolvedAt: { $gte: cutoff } }, { closedAt: { $gte: cutoff } }],
  };
}

export class RetentionSweep {
  private readonly lease: Lease;
  private readonly runner: LeaseRunner;

  constructor(
    private readonly erasure: ErasureService,
    private readonly store: TicketStore,
    private readonly options: { retentionDays?: number; intervalMs: number },
    private readonly log: Logger,
  ) {
    // A holder that missed three rounds is gone.
    this.lease = new Lease('retention', 3 * options.intervalMs);
    this.runner = new LeaseRunner(
      { lease: this.lease, intervalMs: options.intervalMs, what: 'retention sweep', log },
      () => this.work(),
    );
  }

  start(): void {
    this.runner.start();
  }

  /** One round: take the lease, finish pending erasures, erase late texts, erase up to BATCHES_PER_ROUND batches past retention. */
  round(): Promise<number> {
    return this.runner.runOnce(() => this.work(), 0);
  }

  private async work(): Promise<number> {
    await this.erasure.resumePending(RETENTION_ACTOR);
    await this.erasure.eraseLateTexts();
    await this.erasure.takeTallies();
    const expired = await this.erasure.deleteExpiredAudit();
    if (expired) this.log.info({ entries: expired }, 'audit trail: entries past AUDIT_RETENTION_DAYS deleted');
    // Its failure must not hold up erasures past retention: tried again next round.
    const rekeyed = await forgetAuditInstants(this.log).catch((err: Error) => {
      this.log.warn(
        { err: { name: err.name, message: err.message } },
        'audit trail: giving older entries ids of their day failed',
      );
      return 0;
    });
    if (rekeyed) this.log.info({ entries: rekeyed }, 'audit trail: older entries given ids that hold the day only');
    const days = this.options.retentionDays;
    if (days === undefined) return 0;
    let erased = 0;
    for (let batch = 0; batch < BATCHES_PER_ROUND && !this.runner.isStopped; batch++) {
      const cutoff = new Date(Date.now() - days * DAY_MS);
      const docs = await this.store.find<ErasableTicket>(expiredFilter(cutoff), { limit: ERASE_BATCH });
      if (!docs.length) break;
      // Claimed only if still past retention: a ticket reopened since it was selected stays.
      erased += (await this.erasure.eraseTickets(docs, RETENTION_ACTOR, 'retention', expiredFilter(cutoff))).tickets;
      if (docs.length < ERASE_BATCH || !(await this.lease.hold())) break;
    }
    if (erased)
      this.log.info({ tickets: erased, retentionDays: days }, 'retention sweep: tickets past retention erased');
    return erased;
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }
}
