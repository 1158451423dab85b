// A page of the feed a sender's turn ran out of time on, kept for the next
// turn so a long backlog is not read again for every turn. Its events and
// tickets are as they were when it was read: it is used only by the very
// next lease (fence + 1: nobody held the webhook between), under the same
// epoch (no update or replay since), and only while it is young.
import type { FeedChange } from '../feed/feed.service';

/** A kept page older than this is read again (its tickets may have changed since). */
export const PAGE_KEEP_MS = 2_000;

export interface KeptPage {
  /** The lease (fence) and the webhook's epoch it was read under. */
  fence: number;
  epoch: number;
  /** When it was read (performance.now()). */
  readAt: number;
  changes: FeedChange[];
  end: number;
  more: boolean;
}

/** Whether the next turn (under `fence`, the webhook at `epoch` with `cursor`) may send from the kept page. */
export function keptPageUsable(
  kept: KeptPage | undefined,
  turn: { fence: number; epoch: number; cursor: number },
  now: number,
): kept is KeptPage {
  return (
    !!kept &&
    kept.fence + 1 === turn.fence &&
    kept.epoch === turn.epoch &&
    now - kept.readAt <= PAGE_KEEP_MS &&
    kept.changes.some((c) => c.seq > turn.cursor)
  );
}
