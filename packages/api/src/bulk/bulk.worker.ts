// Runs bulk jobs in the background, in every API process: each round looks
// at the running jobs, oldest first, and runs those whose lease this
// process holds or takes (the job's own `holder`/`beat`, the sweeps' Lease:
// one process at a time per job, another taking over once the holder stops
// beating, by its own monotonic clock). A ticket is done, then `next` moves
// past it by a compare-and-set on `next` and the lease (holder and beat),
// and each ticket's own write is fenced by the same condition, checked
// between the ticket's read and its compare-and-set: a holder that stalled
// and woke up beside its successor writes nothing more and counts nothing
// twice; what the ticket already got from the job is on its events
// (bulk.service.ts), so a ticket done but not yet counted is not changed again.
import { performance } from 'node:perf_hooks';
import { GraphQLError } from 'graphql';
import { Lease } from '../customers/sweep-lease.model';
import { Rounds } from '../db/rounds';
import type { Logger } from '../logging/logger';
import {
  BulkJobFailureModel,
  BulkJobModel,
  BulkJobState,
  type BulkFailure,
  type BulkJobRecord,
} from './bulk-job.model';
import { BulkSlotModel } from './bulk-slot.model';
import type { BulkService, TicketOutcome } from './bulk.service';

/** This process no longer holds the job (another took it over, or the job moved on): it stops writing. */
export class Fenced extends Error {
  constructor() {
    super('the bulk job is held by another process now');
    this.name = 'Fenced';
  }
}

export interface BulkWorkerOptions {
  /** Time between rounds (a new job on this process starts at once). */
  intervalMs: number;
  /** A holder silent this long has stopped: another process takes its job over. */
  leaseMs: number;
  /** With no job running anywhere, rounds back off up to this (db/rounds.ts); a job started here ends it at once. */
  idleMaxMs?: number;
}

export const BULK_WORKER_DEFAULTS: BulkWorkerOptions = { intervalMs: 1_000, leaseMs: 6_000, idleMaxMs: 5_000 };

/** Running jobs looked at per round. */
const JOBS_PER_ROUND = 20;
/** Done jobs (and their failures) are kept this long after they finished. */
export const KEEP_DONE_MS = 7 * 24 * 60 * 60 * 1000;
/** How often a process removes jobs past KEEP_DONE_MS (by its own monotonic clock; every process does, harmlessly). */
const CLEANUP_EVERY_MS = 10 * 60 * 1000;
/** Rounds that fail at one ticket without its own error before it is given up as failed. */
const MAX_TRIES = 3;

export class BulkWorker {
  private readonly rounds: Rounds;
  /** One lease per job this process has seen running (a takeover needs to have watched its beat). */
  private readonly leases = new Map<string, Lease>();
  private cleaned = -Infinity;

  constructor(
    private readonly service: BulkService,
    private readonly log: Logger,
    private readonly options: BulkWorkerOptions = BULK_WORKER_DEFAULTS,
  ) {
    this.rounds = new Rounds('bulk changes', options.intervalMs, () => this.round(), log, options.idleMaxMs);
  }

  start(): void {
    this.rounds.start();
  }

  /** A job was started here: a round now. */
  nudge(): void {
    this.rounds.kick();
  }

  private leaseOf(id: string): Lease {
    let lease = this.leases.get(id);
    if (!lease) {
      lease = new Lease(id, this.options.leaseMs, BulkJobModel.collection);
      this.leases.set(id, lease);
    }
    return lease;
  }

  /** One round; false when no job was running (the rounds back off). */
  async round(): Promise<boolean> {
    if (performance.now() - this.cleaned > CLEANUP_EVERY_MS) {
      this.cleaned = performance.now();
      await this.cleanup();
    }
    const jobs = await BulkJobModel.collection
      .find<BulkJobRecord>({ state: BulkJobState.RUNNING, waiting: { $ne: true } })
      .sort({ createdAt: 1, _id: 1 })
      .limit(JOBS_PER_ROUND)
      .toArray();
    const running = new Set(jobs.map((j) => j._id));
    for (const id of this.leases.keys()) if (!running.has(id)) this.leases.delete(id);
    for (const job of jobs) {
      if (this.rounds.stopped) break;
      await this.run(job);
    }
    return jobs.length > 0;
  }

  /** Run the job while this process holds it, renewing the lease as it goes. */
  private async run(job: BulkJobRecord): Promise<void> {
    const lease = this.leaseOf(job._id);
    if (!(await lease.hold())) return;
    let renewed = performance.now();
    const total = job.numbers.length;
    if (job.lastFailure) await this.record(job, job.lastFailure);
    // Every write of this run is fenced by the lease as this process holds it now: a successor's takeover (or this
    // process's own renewal, which moves the token on) makes each of them miss.
    const held = () => ({ _id: job._id as never, holder: lease.me, beat: lease.token, state: BulkJobState.RUNNING });
    for (let i = job.next; i < total; i++) {
      if (this.rounds.stopped) return;
      if (performance.now() - renewed > this.options.leaseMs / 4) {
        if (!(await lease.hold())) return;
        renewed = performance.now();
      }
      // Checked after the ticket is read and before it is written (ticket-changes.ts): a holder that stalled past
      // its lease writes nothing once another took the job, even when the ticket changed since.
      const fence = async () => {
        if (!(await BulkJobModel.collection.findOne({ ...held(), next: i }))) throw new Fenced();
      };
      const resuming = i === job.next;
      const outcome = await this.tryTicket(job, i, resuming, fence, held);
      if (!outcome) return;
      const failure = 'failure' in outcome ? { index: i, ...outcome.failure } : null;
      // Counted first, with the failure on the job itself; its record only once this process won the count
      // (a holder that lost its lease records nothing), and again by the next run if this one stopped between.
      const moved = await BulkJobModel.collection.updateOne(
        { ...held(), next: i },
        {
          $set: { next: i + 1, tries: 0, lastFailure: failure },
          $inc: { changed: 'changed' in outcome && outcome.changed ? 1 : 0, failed: failure ? 1 : 0 },
        },
      );
      if (moved.modifiedCount === 1 && failure) await this.record(job, failure);
      // A failure recorded before its count by an older version: the ticket went through after all.
      else if (moved.modifiedCount === 1 && resuming)
        await BulkJobFailureModel.collection.deleteOne({ _id: `${job._id}:${i}` as never });
      // Another process holds the job now (this one stalled past its lease): the job is its.
      if (moved.modifiedCount !== 1) return;
    }
    const finished = await BulkJobModel.collection.updateOne(
      { ...held(), next: total, state: BulkJobState.RUNNING },
      { $set: { state: BulkJobState.DONE, finishedAt: new Date(), holder: null } },
    );
    this.leases.delete(job._id);
    if (finished.modifiedCount !== 1) return;
    if (job.slot) await BulkSlotModel.collection.deleteOne({ _id: job.slot as never, job: job._id });
    this.log.info({ job: job._id, tickets: total }, 'bulk change done');
  }

  /** A failure's record (`<job>:<index>`: writing it again is harmless). */
  private async record(job: BulkJobRecord, failure: BulkFailure): Promise<void> {
    const { index, code, message } = failure;
    await BulkJobFailureModel.collection.updateOne(
      { _id: `${job._id}:${index}` as never },
      { $set: { job: job._id, index, ticketNumber: job.numbers[index], code, message } },
      { upsert: true },
    );
  }

  /**
   * The ticket's outcome; undefined when the round should stop (the engine
   * failed: the ticket is tried again next round, and given up as failed
   * after MAX_TRIES rounds failed at it; or the lease was lost).
   */
  private async tryTicket(
    job: BulkJobRecord,
    i: number,
    resuming: boolean,
    fence: () => Promise<void>,
    held: () => Record<string, unknown>,
  ): Promise<TicketOutcome | undefined> {
    try {
      return await this.service.applyTicket(job, i, resuming, fence);
    } catch (err) {
      if (err instanceof Fenced) return undefined;
      const e = err as Error;
      const busy = err instanceof GraphQLError && err.extensions?.code === 'SERVICE_UNAVAILABLE';
      this.log.warn(
        { job: job._id, index: i, err: { name: e.name, message: e.message } },
        'bulk change: ticket failed',
      );
      const tried = await BulkJobModel.collection.findOne<BulkJobRecord>({ ...held(), next: i });
      if (!tried) return undefined;
      if ((tried.tries ?? 0) + 1 < MAX_TRIES) {
        await BulkJobModel.collection.updateOne({ ...held(), next: i }, { $inc: { tries: 1 } });
        return undefined;
      }
      return busy
        ? {
            failure: {
              code: 'SERVICE_UNAVAILABLE',
              message: 'The ticket kept changing or the service was busy; try again.',
            },
          }
        : { failure: { code: 'INTERNAL_SERVER_ERROR', message: 'The change could not be written; try again.' } };
    }
  }

  /**
   * Remove the jobs done more than KEEP_DONE_MS ago, their failures first
   * (a cleanup cut in between finds the job again), and starts that never
   * got a place that long ago (their process stopped in between). Days of
   * margin: the hosts' clocks need not agree closely.
   */
  async cleanup(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - KEEP_DONE_MS);
    let removed = 0;
    for (;;) {
      const old = await BulkJobModel.collection
        .find<BulkJobRecord>({
          $or: [
            { state: BulkJobState.DONE, finishedAt: { $lt: before } },
            { waiting: true, createdAt: { $lt: before } },
          ],
        })
        .limit(100)
        .toArray();
      if (!old.length) return removed;
      const ids = old.map((j) => j._id);
      await BulkJobFailureModel.collection.deleteMany({ job: { $in: ids } });
      removed += (await BulkJobModel.collection.deleteMany({ _id: { $in: ids as never[] } })).deletedCount;
    }
  }

  /** No more rounds; the jobs this process holds are let go, so another process goes on at once. */
  async stop(): Promise<void> {
    await this.rounds.stop();
    await Promise.all([...this.leases.values()].map((l) => l.release().catch(() => undefined)));
  }
}
