// The SLA's background work, done by one API process at a time (a lease in
// `sweep_leases`, as retention's sweep), in rounds:
// 1. follow the change feed from its own cursor: every ticket with a new
//    event gets its stored state recomputed;
// 2. after setSlaPolicies, recompute every open ticket (their running
//    deadlines move; tickets made while there were no policies get theirs),
//    pages back to back within the round, the checker after each page;
// 3. tickets stored as waiting on the customer whose status moved back to
//    OPEN (which leaves no event) are recomputed;
// 4. the breach checker: states whose next miss is due by the database's
//    time are recomputed from their events, and each miss confirmed is
//    announced, once (sla.service.ts: a unique index, not the lease, makes
//    it once: a holder that stalled and wakes up beside its successor
//    writes nothing twice).
// Every other write is fenced by the epoch of this process's holding
// (sla-fence.ts): a holder that stalled past its lease and wakes up does
// not overwrite what its successor wrote; its first refused write ends its
// round. Everything is recomputed from the events, so a round that dies
// halfway is simply done again by the next holder (a rewrite of states cut
// short leaves its ticket ids in sla_meta, a document per page: step 0
// computes them again).
// The loop (timer, one round at a time, stop) is the one every background
// job runs on (db/lease.ts); tickets are read through the tickets' store.
import type { Types } from 'mongoose';
import { Lease } from '../customers/sweep-lease.model';
import { LeaseRunner } from '../db/lease';
import { currentFeedId } from '../feed/feed-id';
import type { FeedService } from '../feed/feed.service';
import type { Logger } from '../logging/logger';
import { FencedLease, FencedOut, fencedSet } from './sla-fence';
import { OPEN_STATUSES, TicketStatus } from '../tickets/ticket.enums';
import { TicketStore } from '../tickets/ticket.store';
import { databaseTime } from '../db/database-time';
import { SlaMetaModel } from './sla-meta.model';
import type { RefreshResult, SlaService } from './sla.service';
import { TicketSlaStateModel } from './ticket-sla.model';

/** Feed changes read per page, and pages per round. */
const FEED_PAGE = 200;
const FEED_PAGES_PER_ROUND = 10;
/** States recomputed per step of a round. */
const BATCH = 500;

export interface SlaWorkerOptions {
  /** Time between rounds; the lease passes after three missed rounds. */
  intervalMs: number;
  /** Tickets per step (a page of the resync walk, a batch of the checker); 500 unless set. */
  batch?: number;
}

type Policies = Awaited<ReturnType<SlaService['policies']>>;

/** The highest epoch any stored document carries (where a missing epoch counter starts again). */
async function highestStored(store: TicketStore): Promise<number> {
  const top = async (col: typeof SlaMetaModel.collection, field: string) =>
    (
      await col
        .find<Record<string, number>>({ [field]: { $type: 'number' } })
        .sort({ [field]: -1 })
        .limit(1)
        .toArray()
    )[0]?.[field] ?? 0;
  const ticket = await store.find<Record<string, number>>(
    { slaFence: { $type: 'number' } },
    { sort: { slaFence: -1 }, limit: 1 },
  );
  return Math.max(
    await top(SlaMetaModel.collection, 'fence'),
    await top(TicketSlaStateModel.collection as never, 'fence'),
    ticket[0]?.slaFence ?? 0,
  );
}

export class SlaWorker {
  private readonly lease: FencedLease;
  private readonly runner: LeaseRunner;
  private readonly batch: number;
  private waitingAfter: Types.ObjectId | null = null;

  constructor(
    private readonly service: SlaService,
    private readonly feed: FeedService,
    private readonly options: SlaWorkerOptions,
    private readonly log: Logger,
    /** The tickets' store (compose.ts hands the process's own). */
    private readonly store: TicketStore = new TicketStore(),
  ) {
    this.lease = new FencedLease(new Lease('sla', 3 * options.intervalMs), () => highestStored(store));
    this.batch = options.batch ?? BATCH;
    this.runner = new LeaseRunner({ lease: this.lease, intervalMs: options.intervalMs, what: 'sla: round', log }, () =>
      this.work().catch((err: unknown) => {
        // Not a failure: another process holds the lease now, and this one stopped writing.
        if (!(err instanceof FencedOut)) throw err;
        this.log.info({ epoch: this.lease.epoch }, 'sla: another process took the lease over; round stopped');
      }),
    );
  }

  start(): void {
    this.runner.start();
  }

  /** One round, when this process holds the lease; the number of breaches it announced (FencedOut when a later holder refused a write). */
  round(): Promise<number> {
    return this.runner.runOnce(() => this.work(), 0);
  }

  private get stopped(): boolean {
    return this.runner.isStopped;
  }

  private async work(): Promise<number> {
    const set = await this.service.policies();
    await this.unfinished(set);
    await this.follow(set);
    if (this.stopped) return 0;
    const announced = await this.resync(set);
    await this.unpaused(set);
    if (this.stopped) return announced;
    return announced + (await this.check());
  }

  /** Recompute under this holding's epoch; a refused write ends the round, a ticket that fails is logged and skipped. */
  private async refresh(ids: readonly Types.ObjectId[], set?: Policies, announceBy?: Date): Promise<RefreshResult> {
    const res = await this.service.refresh(ids, this.lease.epoch, set, announceBy);
    for (const f of res.failed)
      this.log.warn(
        { ticketId: f.ticketId, err: { name: f.error } },
        "sla: a ticket's deadlines could not be computed (bad data); skipped",
      );
    if (res.refused) throw new FencedOut(res.refused);
    return res;
  }

  /** Write the worker's own bookkeeping (sla_meta), fenced like the rest. */
  private async note(id: string, set: Record<string, unknown>, existed: boolean): Promise<void> {
    const refused = await fencedSet(
      SlaMetaModel.collection as never,
      'fence',
      this.lease.epoch,
      [{ _id: id, set }],
      () => existed,
    );
    if (refused) throw new FencedOut(refused);
  }

  /** 0. States holders were rewriting when they stopped: computed again, then their journals go. */
  private async unfinished(set: Policies): Promise<void> {
    const { ids, journals } = await this.service.unfinished();
    if (!journals.length) return;
    if (ids.length) await this.refresh(ids, set);
    await this.service.clearUnfinished(journals);
  }

  /** 1. New events: recompute their tickets. */
  private async follow(set: Policies): Promise<void> {
    const meta = await SlaMetaModel.collection.findOne<{ position: number; feed?: string }>({ _id: 'feed' as never });
    const feed = await currentFeedId();
    let position = meta?.position ?? 0;
    // Another database's feed, or a feed behind our cursor (a restored backup): read it again from its start (recomputing is idempotent).
    if (meta && (meta.feed !== feed || position > (await this.feed.latestPosition()))) position = 0;
    for (let page = 0; page < FEED_PAGES_PER_ROUND && !this.stopped; page++) {
      const read = await this.feed.changesAfter(position, FEED_PAGE);
      if (read.end <= position) break;
      const ids = [...new Map(read.changes.map((c) => [String(c.event.ticketId), c.event.ticketId])).values()];
      // Without policies nothing is tracked nor written (the walk of step 2 covers these tickets once policies are set).
      if (set.policies.length) await this.refresh(ids, set);
      position = read.end;
      await this.note('feed', { position, feed }, !!meta || page > 0);
      if (!read.more) break;
    }
  }

  /**
   * 2. After a policy change, every open ticket, pages back to back within
   * the round while this process holds the lease (each page renews it, and
   * its writes are fenced): first the states computed under an earlier
   * version, the earliest check first (a tightened target is announced by
   * the check that follows each page, not minutes later), then a walk of
   * open tickets by _id for those never computed (made while there were no
   * policies), its place kept in `sla_meta` so a new holder goes on from it.
   * The number of breaches the checks in between announced.
   */
  private async resync(set: Policies): Promise<number> {
    const meta = await SlaMetaModel.collection.findOne<{
      version?: number;
      after?: Types.ObjectId | null;
      done?: boolean;
    }>({ _id: 'resync' as never });
    // Never set, or set to none from the start: nothing to move.
    if (!meta && set.version === 0) return 0;
    if (meta?.version === set.version && meta.done) return 0;
    let announced = 0;
    const more = async () => !this.stopped && (await this.lease.hold());
    // Stale states: each page leaves the query (its states take this version, or go with their ticket);
    // one that stays (a later holder's write kept it) ends this part rather than being read again.
    const seen = new Set<string>();
    for (;;) {
      const stale = (
        await TicketSlaStateModel.collection
          .find<{ _id: Types.ObjectId }>({ open: true, policyVersion: { $lt: set.version } })
          .sort({ checkAt: 1 })
          .limit(this.batch)
          .toArray()
      ).filter((p) => !seen.has(String(p._id)));
      for (const p of stale) seen.add(String(p._id));
      if (stale.length)
        await this.refresh(
          stale.map((p) => p._id),
          set,
        );
      if (stale.length) announced += await this.check();
      if (stale.length < this.batch || !(await more())) break;
    }
    if (this.stopped) return announced;
    // Open tickets without a state of this version: the walk by _id.
    let after = meta?.version === set.version ? (meta.after ?? null) : null;
    let existed = !!meta;
    for (;;) {
      const filter: Record<string, unknown> = { status: { $in: [...OPEN_STATUSES] } };
      if (after) filter._id = { $gt: after };
      const page = await this.store.find<{ _id: Types.ObjectId }>(filter, {
        projection: { _id: 1 },
        sort: { _id: 1 },
        limit: this.batch,
      });
      const ids = page.map((p) => p._id);
      const current = new Set(
        (
          await TicketSlaStateModel.collection
            .find<{ _id: Types.ObjectId }>({ _id: { $in: ids }, policyVersion: set.version })
            .toArray()
        ).map((d) => String(d._id)),
      );
      const missing = ids.filter((id) => !current.has(String(id)));
      // A ticket that cannot be computed is logged and skipped (refresh): the walk goes on.
      if (missing.length) await this.refresh(missing, set);
      // Misses due meanwhile (anywhere) are not held up by a long walk.
      announced += await this.check();
      const done = page.length < this.batch;
      after = done ? null : ids[ids.length - 1];
      await this.note('resync', { version: set.version, after, done }, existed);
      existed = true;
      if (done || !(await more())) break;
    }
    return announced;
  }

  /** 3. Stored as waiting, but the ticket says otherwise: a page per round, walked by _id. */
  private async unpaused(set: Policies): Promise<void> {
    const filter = this.waitingAfter ? { waiting: true, _id: { $gt: this.waitingAfter } } : { waiting: true };
    const waiting = await TicketSlaStateModel.collection
      .find<{ _id: Types.ObjectId }>(filter)
      .sort({ _id: 1 })
      .limit(this.batch)
      .toArray();
    this.waitingAfter = waiting.length < this.batch ? null : waiting[waiting.length - 1]._id;
    if (!waiting.length) return;
    const moved = await this.store.find<{ _id: Types.ObjectId }>(
      { _id: { $in: waiting.map((w) => w._id) }, status: { $ne: TicketStatus.WAITING_ON_CUSTOMER } },
      { projection: { _id: 1 } },
    );
    if (moved.length)
      await this.refresh(
        moved.map((m) => m._id),
        set,
      );
  }

  /**
   * 4. Misses due by the database's time: their tickets computed fresh from
   * the events (an answer that came after the state was stored is seen
   * here), each miss confirmed announced once, and the states written with
   * the announcements, a batch at a time.
   */
  private async check(): Promise<number> {
    const now = await databaseTime(SlaMetaModel.db.db!, this.log);
    let announced = 0;
    for (let batch = 0; batch < 10 && !this.stopped; batch++) {
      const due = await TicketSlaStateModel.collection
        .find<{ _id: Types.ObjectId }>({ checkAt: { $lte: now } })
        .sort({ checkAt: 1 })
        .limit(this.batch)
        .toArray();
      if (!due.length) break;
      announced += (
        await this.refresh(
          due.map((d) => d._id),
          undefined,
          now,
        )
      ).announced;
      if (due.length < this.batch || !(await this.lease.hold())) break;
    }
    if (announced) this.log.info({ breaches: announced }, 'sla: breaches announced');
    return announced;
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }
}
