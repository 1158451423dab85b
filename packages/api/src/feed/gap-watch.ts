// How long the feed waits for a missing event number of a ticket before it
// gives the number up. A writer takes its numbers in its ticket write and
// inserts the events right after; if it stalls or dies in between, the
// ticket's later events wait (claim-order.ts). Each sequencer notes when it
// first saw a hole, on its own monotonic clock (no other host's clock is
// read, and a wall-clock step changes nothing), and once it has seen the
// same hole for a whole lease it writes a stand-in for that number
// (sequencer.ts): the ticket's unique index on (ticketId, sequence) then
// refuses the stalled writer's late insert, so nothing can come out of
// order, and its later events go on.
import { performance } from 'node:perf_hooks';
import type { Gap } from './claim-order';

/** FEED_GAP_SECONDS: how long a hole is watched before its number is given up. */
export const DEFAULT_GAP_LEASE_MS = 30_000;

export class GapWatch {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly leaseMs: number = DEFAULT_GAP_LEASE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The holes a round saw; those seen for a whole lease, counted from the
   * first round that saw them, are due to be given up. A hole a round no
   * longer sees (its event came) is forgotten, so the map stays as small
   * as the holes there are.
   */
  due(gaps: readonly Gap[]): Gap[] {
    const now = this.now();
    const keep = new Map<string, number>();
    const due: Gap[] = [];
    for (const gap of gaps) {
      const key = `${gap.ticketId.toHexString()}:${gap.sequence}`;
      const since = this.seen.get(key) ?? keep.get(key) ?? now;
      keep.set(key, since);
      if (now - since >= this.leaseMs) due.push(gap);
    }
    this.seen.clear();
    for (const [k, v] of keep) this.seen.set(k, v);
    return due;
  }

  /** Holes being watched now. */
  get size(): number {
    return this.seen.size;
  }
}
