// Gives timeline events their place in the change feed. Design and proof
// in docs/change-feed.md; in short:
//
// - Mutations write events with `pending: true` and nothing else: no extra
//   round trip on the request path.
// - A sequencer claims the pending events by inserting the next batch
//   document: its _id is the position right after the last batch, so of
//   two sequencers claiming at once exactly one insert succeeds (the other
//   collides on _id and tries again). No lease, no clock: the database's
//   unique index decides.
// - A claim takes the oldest pending events by time, but each ticket's own
//   events in increasing `sequence`, and none after a missing number until
//   it comes or is given up after a lease (claim-order.ts, gap-watch.ts).
// - Before claiming, a sequencer finishes the last batch (clears its events'
//   pending mark, one updateMany), whoever claimed it, even a process that
//   died mid-way: so no event is ever claimed twice.
// - Batches are contiguous, and a batch exists only once its events do: a
//   reader that stops at the first missing position never skips anything.
// - Every read and write here is majority and on the primary
//   (feed-collections.ts): a claim never builds on a batch or an event a
//   failover could roll back.
//
// Every API process runs one; they race only on the batch insert.
import type { Collection } from 'mongodb';
import { Types } from 'mongoose';
import type { Logger } from '../logging/logger';
import { SKIPPED_KIND } from '../tickets/event-seq';
import { planClaim, predecessorsToCheck, type Before, type Gap, type PendingEvent } from './claim-order';
import { GapWatch } from './gap-watch';
import { outsideRequest } from '../telemetry/tracing';
import { feedBatches, feedEvents } from './feed-collections';
import { MAX_BATCH, type FeedBatch } from './feed-batch.model';

/** Wait this long after a nudge, so the writes of that moment are claimed in one batch (measured in bench: the cost is per batch). */
export const GATHER_MS = 200;
/** Look for pending events this often even without a nudge (other processes' writes, crashes)... */
export const SWEEP_MS = 1_000;
/**
 * ...backing off while sweeps find nothing, doubling up to this; a nudge
 * (a write in this process) or a sweep that claimed brings it back to
 * SWEEP_MS. A writer's own process claims its events on its nudge; the
 * sweeps are for a writer that stopped before (or the CLI): they are
 * claimed within this plus a round, inside the feed's 10 s promise.
 */
export const SWEEP_IDLE_MAX_MS = 5_000;

const batches = feedBatches;
const events = () => feedEvents() as unknown as Collection<PendingEvent & { pending?: boolean }>;
const PENDING_FIELDS = { projection: { _id: 1, ticketId: 1, at: 1, sequence: 1, ticketSeq: 1 } } as const;

/** The batch with the highest positions, or null while the feed is empty. */
export function lastBatch(): Promise<FeedBatch | null> {
  return batches().find({}).sort({ _id: -1 }).limit(1).next();
}

/** Clear the pending mark of a batch's events (idempotent), then mark it done. */
async function finish(batch: Pick<FeedBatch, '_id' | 'ids'>): Promise<void> {
  await events().updateMany({ _id: { $in: batch.ids }, pending: true }, { $set: { pending: false } });
  await batches().updateOne({ _id: batch._id }, { $set: { done: true } });
}

/** Batches marked per write (one bulkWrite). */
const MARK_CHUNK = 1_000;

/**
 * Batches from before `maxAtSoFar` existed get it, in feed order, from the
 * lowest unmarked batch on, a chunk (one bulkWrite) at a time, each chunk
 * starting again from the lowest batch still unmarked. Deterministic (every
 * process computes the same values), so two doing it at once agree and
 * skip what the other did. A walk only once, after an upgrade; no claim
 * is made on top of an unmarked batch meanwhile (sequenceOnce), and `since`
 * finds its batch by a scan until it is done (feed.service.ts).
 */
export async function markBatchTimes(): Promise<number> {
  let count = 0;
  for (;;) {
    const lowest = await batches()
      .find({ maxAtSoFar: { $exists: false } })
      .sort({ _id: 1 })
      .limit(1)
      .next();
    if (!lowest) return count;
    const before = await batches()
      .find({ _id: { $lt: lowest._id } })
      .sort({ _id: -1 })
      .limit(1)
      .next();
    let soFar = before?.maxAtSoFar?.getTime() ?? 0;
    const chunk = await batches()
      .find({ _id: { $gte: lowest._id } }, { projection: { _id: 1, maxAt: 1, maxAtSoFar: 1 } })
      .sort({ _id: 1 })
      .limit(MARK_CHUNK)
      .toArray();
    const marks: { _id: number; soFar: number }[] = [];
    for (const b of chunk) {
      if (b.maxAtSoFar) break; // marked by another process: start again from the lowest unmarked
      soFar = Math.max(soFar, b.maxAt.getTime());
      marks.push({ _id: b._id, soFar });
    }
    if (marks.length)
      await batches().bulkWrite(
        marks.map((m) => ({
          updateOne: {
            filter: { _id: m._id, maxAtSoFar: { $exists: false } },
            update: { $set: { maxAtSoFar: new Date(m.soFar) } },
          },
        })),
        { ordered: true },
      );
    count += marks.length;
  }
}

let marking: Promise<void> | undefined;

/** Mark batch times in the background, once at a time per process (a failed walk is taken up again by the next round). */
export function markBatchTimesInBackground(log?: Logger): Promise<void> {
  marking ??= markBatchTimes()
    .then((n) => {
      if (n) log?.info({ batches: n }, 'change feed: batches from before maxAtSoFar marked');
    })
    .catch((err) =>
      log?.warn(
        { err: { name: (err as Error).name, message: (err as Error).message } },
        'change feed: marking batch times failed; trying again on the next round',
      ),
    )
    .finally(() => {
      marking = undefined;
    });
  return marking;
}

/** The oldest pending events, up to `limit`, in the order a claim gives them, and the holes that hold some back. */
async function nextClaim(limit: number): Promise<{ claim: PendingEvent[]; gaps: Gap[] }> {
  const taken = await events().find({ pending: true }, PENDING_FIELDS).sort({ at: 1, _id: 1 }).limit(limit).toArray();
  // Cut at the batch size: an earlier event of a taken ticket may wait
  // behind the cut (its writer's clock behind, or its writer slow). Only
  // those can matter: pending events of the same tickets numbered lower.
  const waiting = taken.length < limit ? [] : await lowerPending(taken);
  const checks = predecessorsToCheck(taken, waiting);
  const found = checks.length
    ? await events()
        .find(
          { $or: checks.map((c) => ({ ticketId: c.ticketId, sequence: c.sequence })) },
          { projection: { ticketId: 1, pending: 1 } },
        )
        .toArray()
    : [];
  const state = new Map<string, Before>(found.map((e) => [e.ticketId.toHexString(), e.pending ? 'pending' : 'fed']));
  return planClaim(taken, waiting, (key) => state.get(key) ?? 'missing');
}

/** The pending events of the taken ones' tickets numbered below the highest taken of each. */
async function lowerPending(taken: PendingEvent[]): Promise<PendingEvent[]> {
  const latest = new Map<string, PendingEvent>();
  for (const e of taken) {
    const key = e.ticketId.toHexString();
    const seen = latest.get(key);
    if (
      !seen ||
      (e.sequence ?? -1) > (seen.sequence ?? -1) ||
      (e.sequence === undefined && (e.ticketSeq ?? -1) > (seen.ticketSeq ?? -1))
    )
      latest.set(key, e);
  }
  const earlier: Record<string, unknown>[] = [...latest.values()].flatMap((e): Record<string, unknown>[] =>
    e.sequence !== undefined
      ? [{ ticketId: e.ticketId, sequence: { $lt: e.sequence } }]
      : e.ticketSeq !== undefined
        ? [
            { ticketId: e.ticketId, sequence: { $exists: false }, ticketSeq: { $lt: e.ticketSeq } },
            { ticketId: e.ticketId, sequence: { $exists: false }, ticketSeq: { $exists: false } },
          ]
        : [],
  );
  if (!earlier.length) return [];
  return events()
    .find({ pending: true, _id: { $nin: taken.map((e) => e._id) }, $or: earlier as never }, PENDING_FIELDS)
    .toArray();
}

/**
 * Give up numbers whose events never came: a stand-in per number (a unique
 * insert on ticket and sequence, majority-written like every feed write),
 * never pending, never read as an event. Either the late event or its
 * stand-in holds the number, never both.
 */
async function giveUp(gaps: readonly Gap[], log?: Logger): Promise<void> {
  for (const gap of gaps) {
    try {
      await events().insertOne({
        _id: new Types.ObjectId(),
        ticketId: gap.ticketId,
        sequence: gap.sequence,
        kind: SKIPPED_KIND,
        at: new Date(),
        pending: false,
      } as never);
      log?.warn(
        { ticketId: String(gap.ticketId), sequence: gap.sequence },
        "change feed: an event number stayed missing for the whole gap lease; given up, the ticket's later events go on",
      );
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
  }
}

/**
 * One round: finish the last batch, claim the next pending events.
 * Returns how many were claimed, 0 when none wait, or -1 when another
 * sequencer claimed first (try again).
 */
export async function sequenceOnce(
  batchSize = MAX_BATCH,
  log?: Logger,
  gaps: GapWatch = new GapWatch(),
): Promise<number> {
  const last = await lastBatch();
  // A new batch's maxAtSoFar needs the one before it: wait until the walk got there (it runs beside the rounds, not in them).
  if (last && !last.maxAtSoFar) {
    void markBatchTimesInBackground(log);
    return 0;
  }
  if (last && !last.done) await finish(last);
  const next = await nextClaim(Math.min(batchSize, MAX_BATCH));
  const due = gaps.due(next.gaps);
  if (due.length) await giveUp(due, log);
  const claim = next.claim;
  if (!claim.length) return 0;
  const start = (last?.end ?? 0) + 1;
  const maxAt = Math.max(...claim.map((e) => e.at.getTime()));
  const batch: FeedBatch = {
    _id: start,
    end: start + claim.length - 1,
    ids: claim.map((e) => e._id),
    maxAt: new Date(maxAt),
    maxAtSoFar: new Date(Math.max(maxAt, last?.maxAtSoFar?.getTime() ?? 0)),
    done: false,
  };
  try {
    await batches().insertOne(batch);
  } catch (err) {
    if ((err as { code?: number }).code === 11000) return -1;
    throw err;
  }
  await finish(batch);
  return claim.length;
}
/** The per-process loop: on a nudge (after writes) and every SWEEP_MS, backing off to SWEEP_IDLE_MAX_MS while idle. */
export class FeedSequencer {
  private timer?: NodeJS.Timeout;
  private scheduled?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private started = false;
  private sweepMs = SWEEP_MS;

  /**
   * `round` is one claiming round (sequenceOnce); a test may play it. `gapLeaseMs`: FEED_GAP_SECONDS (gap-watch.ts).
   * `onClaimed`: after a drain that put changes in the feed (the in-process signal its readers wait on).
   */
  constructor(
    private readonly log: Logger,
    round?: () => Promise<number>,
    gapLeaseMs?: number,
    private readonly onClaimed: () => void = () => {},
  ) {
    const gaps = new GapWatch(gapLeaseMs);
    this.round = round ?? (() => sequenceOnce(MAX_BATCH, log, gaps));
  }

  private readonly round: () => Promise<number>;

  start(): void {
    // A walk that a stopped process left half done is taken up again (one index lookup when there is none).
    void markBatchTimesInBackground(this.log);
    this.started = true;
    this.nudge();
  }

  /**
   * Events were written: claim them soon (and sweep at the full pace again).
   * Bursts collapse into one round. `sweep`: the periodic look for what
   * others left, which keeps the back-off.
   */
  nudge(sweep = false): void {
    if (!sweep) this.sweepMs = SWEEP_MS;
    this.gather();
  }

  private gather(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    // Nudged from a request's write, yet background work: its rounds are no request's.
    this.scheduled = outsideRequest(() =>
      setTimeout(() => {
        this.scheduled = undefined;
        clearTimeout(this.timer);
        this.running = this.drain()
          .then(({ claimed, idle }) => {
            this.sweepMs = idle ? Math.min(SWEEP_IDLE_MAX_MS, this.sweepMs * 2) : SWEEP_MS;
            if (claimed > 0) this.onClaimed();
          })
          .finally(() => {
            this.running = undefined;
            // Writes during the round gather for their own round, not one each:
            // under steady load a round claims everything of the last GATHER_MS.
            if (this.again) {
              this.again = false;
              this.gather();
            } else this.sweepLater();
          });
      }, GATHER_MS),
    );
  }

  /** The next sweep (a round without a nudge), after the current wait. */
  private sweepLater(): void {
    if (this.stopped || !this.started) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.nudge(true), Math.max(0, this.sweepMs - GATHER_MS));
    this.timer.unref();
  }

  /**
   * Claim until a round leaves nothing behind: a batch that was not full took every pending event there was.
   * `idle`: nothing was there to claim (no claim, no race lost to another process, no failure).
   */
  private async drain(): Promise<{ claimed: number; idle: boolean }> {
    let claimed = 0;
    let lostRaces = 0;
    try {
      while (!this.stopped) {
        const n = await this.round();
        if (n > 0) claimed += n;
        // Lost to another process: it is doing the work; a few tries, then the next sweep.
        if (n < 0 && ++lostRaces <= 5) continue;
        if (n < MAX_BATCH) break;
      }
    } catch (err) {
      this.log.warn(
        { err: { name: (err as Error).name, message: (err as Error).message } },
        'change feed: sequencing failed; retrying on the next sweep',
      );
      return { claimed, idle: false };
    }
    return { claimed, idle: claimed === 0 && lostRaces === 0 };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.scheduled);
    await this.running;
  }
}

/**
 * Events written before the feed existed carry no pending mark at all:
 * mark them once, so they join the feed (oldest first) ahead of anything
 * new. Runs only while the feed is empty.
 */
export async function adoptLegacyEvents(): Promise<number> {
  if (await lastBatch()) return 0;
  const res = await events().updateMany({ pending: { $exists: false } }, { $set: { pending: true } });
  return res.modifiedCount;
}
