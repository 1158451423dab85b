// Erasure of customers' data: the rules. A batch of tickets is claimed
// (ticket.eraser.ts: placeholders in, one conditional write per ticket),
// then every registered eraser runs, each ticket gets its ERASED event, and
// the erasers run again until a pass finds nothing for SETTLE_QUIET_MS
// (an answer racing the erasure is caught there), then the tickets are
// finished. Everything is idempotent, so a crash is repaired by running
// the same steps again (resumePending).
import type { Types } from 'mongoose';
import type { Logger } from '../logging/logger';
import type { TicketStore } from '../tickets/ticket.store';
import { checkEmail, valid } from '../tickets/ticket.validation';
import { AuditAction } from './customer-audit.model';
import type { CustomerAuditLog } from './audit';
import { addCounts, noCounts, type ErasureCounts, type Eraser } from './eraser';
import { recordErased } from './erased-event';
import { eraseLateTexts, placedBeforeErasure } from './event.eraser';
import { takeTallies } from './erasure-tally';
import {
  claimTicket,
  finishTickets,
  pendingFor,
  pendingTickets,
  recentlyErased,
  scrubClaimedTickets,
  type ErasableTicket,
} from './ticket.eraser';

/** Tickets claimed and erased together (one settling wait per batch). */
export const ERASE_BATCH = 20;
/** A pass of the erasers every SETTLE_PASS_MS until none finds anything for SETTLE_QUIET_MS... */
export const SETTLE_PASS_MS = 200;
export const SETTLE_QUIET_MS = 1_000;
/** ...but never more passes than this (a writer that keeps writing is erased again by the next sweep). */
export const SETTLE_MAX_PASSES = 50;
/** A pending erasure younger than this is still running somewhere: resumePending leaves it alone. */
export const RESUME_AFTER_MS = 60_000;
/** Background rounds look back this far for texts that landed after an erasure finished... */
export const LATE_TEXT_WINDOW_MS = 3_600_000;
/** ...at most this many tickets per round, newest erasures first. */
export const LATE_TEXT_TICKETS = 500;
/** At most this many batches per request: a bound on one call, far above any one customer's tickets. */
const MAX_BATCHES = 10_000;

export type ErasureReason = 'request' | 'retention';

export interface ErasureHooks {
  /** Events were written (the feed's sequencer is nudged). */
  onEvents?(): void;
  /** Tickets were erased (metrics: tickets_erased_total{reason}; the CLI: a tally for the API, erasure-tally.ts). */
  onErased?(reason: ErasureReason, tickets: number): void | Promise<void>;
  /** Present in API processes with metrics: the tallies other processes (the CLI) left are taken and counted here. */
  onTally?(reason: ErasureReason, tickets: number): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ErasureService {
  constructor(
    /** Registered by the composition root; the attachments capability adds its own at merge. */
    private readonly erasers: readonly Eraser[],
    private readonly store: TicketStore,
    private readonly audit: CustomerAuditLog,
    private readonly log: Logger,
    private readonly hooks: ErasureHooks = {},
  ) {}

  /** eraseCustomer: every ticket of this email. Erasing again finds none and reports zeros. */
  async eraseCustomer(rawEmail: string, actor: string): Promise<ErasureCounts> {
    const email = valid(checkEmail(rawEmail, 'email'));
    const erasedFor = await this.audit.emailHash(email);
    let total = noCounts();
    // Asking again after a crash finishes what this email's earlier request
    // claimed (those tickets no longer hold the email, only its keyed hash).
    // A ticket counts in the report of whoever finishes it (finishTickets),
    // events and attachments where they were removed: each once.
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const pending = await pendingFor(this.store, erasedFor, ERASE_BATCH);
      if (!pending.length) break;
      total = addCounts(total, await this.completeErasure(pending, actor));
    }
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      // Claimed tickets lose the email in the claim: each round sees only the ones left.
      const docs = await this.store.find<ErasableTicket>(
        { customerEmail: email, erasedAt: { $exists: false } },
        { limit: ERASE_BATCH },
      );
      if (!docs.length) break;
      total = addCounts(total, await this.eraseClaimed(docs, actor, 'request', {}, erasedFor));
    }
    // What is kept by the address alone (mail that opened no ticket, mail not read yet): after the tickets.
    for (const eraser of this.erasers)
      if (eraser.eraseEmail) {
        const n = await eraser.eraseEmail(email);
        if (eraser.reports) total[eraser.reports] += n;
      }
    await this.audit.record(AuditAction.ERASE, actor, email, total);
    return total;
  }

  /** The retention sweep's batch: these tickets (selected past retention), erased the same way if they still match `condition`. */
  async eraseTickets(
    docs: readonly ErasableTicket[],
    actor: string,
    reason: ErasureReason,
    condition: Record<string, unknown> = {},
  ): Promise<ErasureCounts> {
    const counts = await this.eraseClaimed(docs, actor, reason, condition);
    if (counts.tickets) await this.audit.record(AuditAction.RETENTION, actor, null, counts);
    return counts;
  }

  /** Finish erasures a crash left half-done (claimed, not finished): the same steps, again. */
  async resumePending(actor: string, limit = ERASE_BATCH): Promise<number> {
    const ids = await pendingTickets(this.store, RESUME_AFTER_MS, limit);
    if (!ids.length) return 0;
    const docs = await this.store.find<ErasableTicket>({ _id: { $in: ids } });
    // Counted once: an eraseCustomer finishing the same tickets at once counts those it finishes, this the rest.
    const counts = await this.completeErasure(docs, actor);
    if (counts.tickets + counts.events + counts.attachments)
      await this.audit.record(AuditAction.RESUMED, actor, null, counts);
    return counts.tickets;
  }

  /**
   * A writer that read a ticket before its claim and stalled past the
   * settling lands its text later: stamped at or before the ERASED event.
   * Background rounds (retention-sweep.ts) erase those within the hour.
   */
  async eraseLateTexts(): Promise<number> {
    let erased = 0;
    for (const t of await recentlyErased(this.store, new Date(Date.now() - LATE_TEXT_WINDOW_MS), LATE_TEXT_TICKETS)) {
      const placedBefore = await placedBeforeErasure(this.store, t._id, t.erasedAt);
      if (!placedBefore) continue;
      // A stalled resolve lands its notes on the ticket itself: those too; and every capability's late part (attachments).
      erased += (await eraseLateTexts(this.store, placedBefore)) + (await scrubClaimedTickets(this.store, [t._id]));
      for (const eraser of this.erasers) erased += (await eraser.eraseLate?.(t._id, placedBefore)) ?? 0;
    }
    if (erased) this.log.info({ events: erased }, "customers' data: texts that landed after their erasure erased");
    return erased;
  }

  /** Count the erasures other processes (the CLI) left as tallies; only where someone counts (onTally). */
  async takeTallies(): Promise<number> {
    const count = this.hooks.onTally;
    return count ? takeTallies(count) : 0;
  }

  /** Audit entries past AUDIT_RETENTION_DAYS: deleted. */
  deleteExpiredAudit(): Promise<number> {
    return this.audit.deleteExpired();
  }

  private async eraseClaimed(
    docs: readonly ErasableTicket[],
    actor: string,
    reason: ErasureReason,
    condition: Record<string, unknown> = {},
    erasedFor?: string,
  ): Promise<ErasureCounts> {
    const at = new Date();
    const claimed: ErasableTicket[] = [];
    for (const doc of docs)
      if (await claimTicket(this.store, doc, at, condition, erasedFor)) claimed.push({ ...doc, erasedAt: at });
    if (!claimed.length) return noCounts();
    const counts = await this.completeErasure(claimed, actor);
    // The metric counts claims (each ticket is claimed once); the report, the tickets this call finished.
    await this.hooks.onErased?.(reason, claimed.length);
    return counts;
  }

  /** Every eraser, the ERASED events, passes until quiet, then done; `tickets`: those this call finished. */
  private async completeErasure(docs: readonly ErasableTicket[], actor: string): Promise<ErasureCounts> {
    const ids = docs.map((d) => d._id);
    let counts = await this.runErasers(ids);
    let wrote = false;
    for (const doc of docs)
      wrote = (await recordErased(this.store, doc._id, doc.erasedAt ?? new Date(), actor)) || wrote;
    if (wrote) this.hooks.onEvents?.();
    counts = addCounts(counts, await this.settle(ids));
    return { ...counts, tickets: await finishTickets(this.store, ids) };
  }

  /**
   * Writes racing the erasure (an agent's answer read the ticket before
   * the claim and lands after it): pass again until nothing was found for
   * SETTLE_QUIET_MS. What lands later still: a text stamped before the
   * ERASED event is erased by the background rounds (eraseLateTexts); one
   * stamped after it is new, on a ticket that no longer holds their data.
   */
  private async settle(ids: readonly Types.ObjectId[]): Promise<ErasureCounts> {
    let counts = noCounts();
    let quietSince = Date.now();
    for (let pass = 0; pass < SETTLE_MAX_PASSES && Date.now() - quietSince < SETTLE_QUIET_MS; pass++) {
      await sleep(SETTLE_PASS_MS);
      const found = await this.runErasers(ids);
      const scrubbed = await scrubClaimedTickets(this.store, ids);
      if (found.events + found.attachments + scrubbed > 0) quietSince = Date.now();
      counts = addCounts(counts, found);
    }
    return counts;
  }

  private async runErasers(ids: readonly Types.ObjectId[]): Promise<ErasureCounts> {
    const counts = noCounts();
    for (const eraser of this.erasers) {
      const n = await eraser.erase(ids);
      if (eraser.reports) counts[eraser.reports] += n;
      if (n) this.log.debug({ eraser: eraser.name, items: n }, "customers' data: erased");
    }
    return counts;
  }
}
