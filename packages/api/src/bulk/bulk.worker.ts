// Runs bulk jobs in the background, in every API process: each round looks
// at the running jobs, oldest first, and runs those whose lease this
// process holds or takes (the job's own `holder`/`beat`, the sweeps' Lease:
// one process at a time per job, another taking over once the holder stops
// beating, by its own monotonic clock). A ticket is done, then `next` moves
// past it by a compare-and-set on `next` itself, so a holder that stalled
// and woke up beside its successor stops at its first step, and counts
// nothing twice; what the ticket already got from the job is on its events
// (bulk.service.ts), so a ticket done but not yet counted is not changed again.
import { performance } from 'node:perf_hooks';
import { Lease } from '../customers/sweep-lease.model';
import { Rounds } from '../db/rounds';
import type { Logger } from '../logging/logger';
import { BulkJobFailureModel, BulkJobModel, BulkJobState, type BulkJobRecord } from './bulk-job.model';
import type { BulkService } from './bulk.service';

export interface BulkWorkerOptions {
  /** Time between rounds (a new job on this process starts at once). */
  intervalMs: number;
  /** A holder silent this long has stopped: another process takes its job over. */
  leaseMs: number;
}

export const BULK_WORKER_DEFAULTS: BulkWorkerOptions = { intervalMs: 1_000, leaseMs: 6_000 };

/** Running jobs looked at per round. */
const JOBS_PER_ROUND = 20;
/** Rounds that fail at one ticket without its own error before it is given up as failed. */
const MAX_TRIES = 3;

export class BulkWorker {
  private readonly rounds: Rounds;
  /** One lease per job this process has seen running (a takeover needs to have watched its beat). */
  private readonly leases = new Map<string, Lease>();

  constructor(
    private readonly service: BulkService,
    private readonly log: Logger,
    private readonly options: BulkWorkerOptions = BULK_WORKER_DEFAULTS,
  ) {
    this.rounds = new Rounds('bulk changes', options.intervalMs, () => this.round(), log);
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

  async round(): Promise<void> {
    const jobs = await BulkJobModel.collection
      .find<BulkJobRecord>({ state: BulkJobState.RUNNING })
      .sort({ createdAt: 1, _id: 1 })
      .limit(JOBS_PER_ROUND)
      .toArray();
    const running = new Set(jobs.map((j) => j._id));
    for (const id of this.leases.keys()) if (!running.has(id)) this.leases.delete(id);
    for (const job of jobs) {
      if (this.rounds.stopped) return;
      await this.run(job);
    }
  }

  /** Run the job while this process holds it, renewing the lease as it goes. */
  private async run(job: BulkJobRecord): Promise<void> {
    const lease = this.leaseOf(job._id);
    if (!(await lease.hold())) return;
    let renewed = performance.now();
    const total = job.numbers.length;
    for (let i = job.next; i < total; i++) {
      if (this.rounds.stopped) return;
      if (performance.now() - renewed > this.options.leaseMs / 4) {
        if (!(await lease.hold())) return;
        renewed = performance.now();
      }
      const outcome = await this.tryTicket(job, i, i === job.next);
      if (!outcome) return;
      if ('failure' in outcome)
        await BulkJobFailureModel.collection.updateOne(
          { _id: `${job._id}:${i}` as never },
          { $set: { job: job._id, index: i, ticketNumber: job.numbers[i], ...outcome.failure } },
          { upsert: true },
        );
      const moved = await BulkJobModel.collection.updateOne(
        { _id: job._id as never, next: i },
        {
          $set: { next: i + 1, tries: 0 },
          $inc: { changed: 'changed' in outcome && outcome.changed ? 1 : 0, failed: 'failure' in outcome ? 1 : 0 },
        },
      );
      // Another process counted this ticket (this one stalled past its lease): the job is its now.
      if (moved.modifiedCount !== 1) return;
    }
    const finished = await BulkJobModel.collection.updateOne(
      { _id: job._id as never, next: total, state: BulkJobState.RUNNING },
      { $set: { state: BulkJobState.DONE, finishedAt: new Date(), holder: null } },
    );
    this.leases.delete(job._id);
    if (finished.modifiedCount === 1) this.log.info({ job: job._id, tickets: total }, 'bulk change done');
  }

  /**
   * The ticket's outcome; undefined when the round should stop (the engine
   * failed: the ticket is tried again next round, and given up as failed
   * after MAX_TRIES rounds failed at it).
   */
  private async tryTicket(job: BulkJobRecord, i: number, resuming: boolean) {
    try {
      return await this.service.applyTicket(job, i, resuming);
    } catch (err) {
      const e = err as Error;
      this.log.warn(
        { job: job._id, index: i, err: { name: e.name, message: e.message } },
        'bulk change: ticket failed',
      );
      const tried = await BulkJobModel.collection.findOne<BulkJobRecord>({ _id: job._id as never });
      if (!tried || tried.next !== i) return undefined;
      if ((tried.tries ?? 0) + 1 < MAX_TRIES) {
        await BulkJobModel.collection.updateOne({ _id: job._id as never, next: i }, { $inc: { tries: 1 } });
        return undefined;
      }
      return { failure: { code: 'INTERNAL_SERVER_ERROR', message: 'The change could not be written; try again.' } };
    }
  }

  /** No more rounds; the jobs this process holds are let go, so another process goes on at once. */
  async stop(): Promise<void> {
    await this.rounds.stop();
    await Promise.all([...this.leases.values()].map((l) => l.release().catch(() => undefined)));
  }
}
