// Reading the change feed. Positions come from the batch documents, which
// are contiguous (see sequencer.ts): a page is the run of consecutive
// positions after the cursor. A missing batch is one being claimed this
// instant, and the page ends before it rather than skip it. Every read is
// majority and on the primary (feed-collections.ts).
import { Types } from 'mongoose';
import { badUserInput, type FieldProblem } from '../errors/api-errors';
import { toEvent, toTicket, type StoredEvent, type TicketView } from '../tickets/ticket.mappers';
import type { FeedBatch } from './feed-batch.model';
import { feedBatches, feedEvents, feedTickets } from './feed-collections';
import { decodeFeedCursor, encodeFeedCursor, eventTag } from './feed-cursor';
import { currentFeedId } from './feed-id';
import { lastBatch } from './sequencer';
import type { TicketChangePage } from './ticket-change.type';

export const FEED_PAGE = { min: 1, max: 500 } as const;

/** One change as feed readers inside the API get it. */
export interface FeedChange {
  seq: number;
  /** This change's cursor, as `ticketChanges` and `ticketChanged` hand it out. */
  cursor: string;
  event: StoredEvent;
  ticket: TicketView;
}

export interface Position {
  seq: number;
  id: Types.ObjectId;
}

/**
 * The consecutive positions after `from`, from batches sorted by _id (the
 * first may start before `from`), stopping at the first gap or after `limit`.
 */
export function positionsAfter(
  batches: Pick<FeedBatch, '_id' | 'end' | 'ids'>[],
  from: number,
  limit: number,
): Position[] {
  const out: Position[] = [];
  let next = from + 1;
  for (const b of batches) {
    if (b.end < next) continue;
    if (b._id > next) break; // a batch still being claimed: wait for it
    for (let seq = next; seq <= b.end && out.length < limit; seq++) out.push({ seq, id: b.ids[seq - b._id] });
    if (out.length >= limit) break;
    next = b.end + 1;
  }
  return out;
}

const batches = feedBatches;
const badAfter = (message: string) => badUserInput([{ field: 'after', message }]);

/** The batch holding position `seq`, if the feed reaches it. */
async function batchHolding(seq: number): Promise<FeedBatch | null> {
  const holder = await batches()
    .find({ _id: { $lte: seq } })
    .sort({ _id: -1 })
    .limit(1)
    .next();
  return holder && holder.end >= seq ? holder : null;
}

export class FeedService {
  private readonly claimListeners = new Set<() => void>();

  /** This process's sequencer put changes in the feed (others' claims its readers find by polling). */
  claimed(): void {
    for (const listener of this.claimListeners) listener();
  }

  /** Called after each of this process's claims, until the returned function is called. */
  onClaimed(listener: () => void): () => void {
    this.claimListeners.add(listener);
    return () => this.claimListeners.delete(listener);
  }

  async read(
    after: string | null | undefined,
    since: Date | null | undefined,
    first: number,
  ): Promise<TicketChangePage> {
    const problems: FieldProblem[] = [];
    if (!Number.isInteger(first) || first < FEED_PAGE.min || first > FEED_PAGE.max)
      problems.push({ field: 'first', message: `must be from ${FEED_PAGE.min} to ${FEED_PAGE.max}` });
    if (after !== null && after !== undefined && !decodeFeedCursor(after))
      problems.push({ field: 'after', message: NOT_OURS });
    if (problems.length) throw badUserInput(problems);

    const given = after !== null && after !== undefined;
    let from = 0;
    if (given) from = await this.positionAfter(after);
    else if (since) {
      const before = await this.positionBefore(since);
      // A `since` later than every event: nothing, and the cursor of the end as it was then (none on an empty feed).
      if (typeof before !== 'number')
        return { changes: [], endCursor: before.end > 0 ? await this.cursorAt(before.end) : null, hasMore: false };
      from = before;
    }
    const read = await this.changesAfter(from, first);
    const changes = read.changes.map((c) => ({ cursor: c.cursor, event: toEvent(c.event, true), ticket: c.ticket }));
    let endCursor: string | null = null;
    if (read.end > from) endCursor = read.endCursor;
    else if (given) endCursor = after;
    else if (from > 0) endCursor = await this.cursorAt(from);
    return { changes, endCursor, hasMore: read.more };
  }

  /**
   * The position a cursor designates: 0 (the feed's start) for none. A
   * cursor this feed did not make, made by another database's feed, past
   * the end of the feed, or naming a change the feed does not hold at its
   * position (a restored backup), is BAD_USER_INPUT on `after`.
   */
  async positionAfter(after: string | null | undefined): Promise<number> {
    if (after === null || after === undefined) return 0;
    const cursor = decodeFeedCursor(after);
    if (!cursor) throw badAfter(NOT_OURS);
    // The id is kept in the process: read again before refusing, in case the database's was replaced.
    if (cursor.feed !== (await currentFeedId()) && cursor.feed !== (await currentFeedId(true)))
      throw badAfter('was made by the change feed of another database');
    const holder = await batchHolding(cursor.seq);
    if (!holder)
      throw badAfter(
        'is past the end of the change feed (was the database restored from a backup?); read again from an older cursor or with `since`',
      );
    if (eventTag(holder.ids[cursor.seq - holder._id]) !== cursor.tag)
      throw badAfter(
        'names a change this feed does not hold (was the database restored from a backup?); read again from an older cursor or with `since`',
      );
    return cursor.seq;
  }

  /**
   * Up to `limit` positions after `from`, with their events and tickets as
   * they are now; `end` is the last position covered (past any passed over)
   * and `endCursor` its cursor, `more` whether more can be read right now.
   * What every feed reader uses: `ticketChanges`, webhooks, subscriptions.
   */
  async changesAfter(
    from: number,
    limit: number,
  ): Promise<{ changes: FeedChange[]; end: number; endCursor: string | null; more: boolean }> {
    // One more than asked for: whether more can be read right now.
    const run = positionsAfter(await this.batchesFrom(from + 1, limit + 1), from, limit + 1);
    const page = run.slice(0, limit);
    if (!page.length) return { changes: [], end: from, endCursor: null, more: false };
    const feed = await currentFeedId();
    const cursorOf = (p: Position) => encodeFeedCursor({ feed, seq: p.seq, tag: eventTag(p.id) });
    const events = await this.eventsOf(page);
    const tickets = await this.ticketsOf([...events.values()]);
    // An event or ticket that is gone (a create undone after its event was
    // written) is not a change of any ticket: every reader passes over it alike.
    const changes = page.flatMap((p) => {
      const event = events.get(String(p.id));
      const ticket = event && tickets.get(String(event.ticketId));
      return event && ticket ? [{ seq: p.seq, cursor: cursorOf(p), event, ticket }] : [];
    });
    const last = page[page.length - 1];
    return { changes, end: last.seq, endCursor: cursorOf(last), more: run.length > limit };
  }

  /** The tag (feed-cursor.ts) of the event at a position, or null when the feed does not hold it. */
  async eventTagAt(seq: number): Promise<string | null> {
    const holder = await batchHolding(seq);
    return holder ? eventTag(holder.ids[seq - holder._id]) : null;
  }

  /** The position of the newest change (0 while the feed is empty): a reader starting now starts after it. */
  async latestPosition(): Promise<number> {
    return (await lastBatch())?.end ?? 0;
  }

  /** The cursor of a position the feed holds. */
  private async cursorAt(seq: number): Promise<string> {
    const holder = await batchHolding(seq);
    if (!holder) throw new Error(`the change feed does not hold position ${seq}`);
    return encodeFeedCursor({ feed: await currentFeedId(), seq, tag: eventTag(holder.ids[seq - holder._id]) });
  }

  /** The batch holding position `seq` and up to `count` batches after it. */
  private async batchesFrom(seq: number, count: number): Promise<FeedBatch[]> {
    const holder = await batches()
      .find({ _id: { $lte: seq } })
      .sort({ _id: -1 })
      .limit(1)
      .next();
    return batches()
      .find({ _id: { $gte: holder?._id ?? seq } })
      .sort({ _id: 1 })
      .limit(count + 1)
      .toArray();
  }

  /**
   * The position just before the first event (in feed order) whose time,
   * on its writer's clock, is at or after `since`. One index lookup finds
   * its batch: the first whose maxAtSoFar reaches `since` (while batches
   * from before maxAtSoFar are still being marked, sequencer.ts: the first
   * whose own maxAt does, the same batch found by a scan). `past`, with the
   * end of the feed as it was before the lookup, when no event is that late.
   */
  private async positionBefore(since: Date): Promise<number | { past: true; end: number }> {
    // The last batch first: anything not found below is claimed after it.
    const end = (await lastBatch())?.end ?? 0;
    const unmarked = await batches()
      .find({ maxAtSoFar: { $exists: false } })
      .limit(1)
      .next();
    const batch = unmarked
      ? await batches()
          .find({ maxAt: { $gte: since } })
          .sort({ _id: 1 })
          .limit(1)
          .next()
      : await batches()
          .find({ maxAtSoFar: { $gte: since } })
          .sort({ maxAtSoFar: 1, _id: 1 })
          .limit(1)
          .next();
    if (!batch || batch._id > end) return { past: true, end };
    // Only their times are needed (the batch may hold 500 events).
    const docs = await feedEvents()
      .find({ _id: { $in: batch.ids } }, { projection: { at: 1 } })
      .toArray();
    const at = new Map(docs.map((d) => [String(d._id), d.at]));
    const index = batch.ids.findIndex((id) => (at.get(String(id)) ?? new Date(0)) >= since);
    return batch._id + Math.max(index, 0) - 1;
  }

  private async eventsOf(positions: Position[]): Promise<Map<string, StoredEvent>> {
    if (!positions.length) return new Map();
    const docs = await feedEvents()
      .find({ _id: { $in: positions.map((p) => p.id) } })
      .toArray();
    return new Map(docs.map((d) => [String(d._id), d]));
  }

  private async ticketsOf(events: StoredEvent[]): Promise<Map<string, TicketView>> {
    const ids = [...new Set(events.map((e) => String(e.ticketId)))].map((id) => new Types.ObjectId(id));
    if (!ids.length) return new Map();
    const docs = await feedTickets()
      .find({ _id: { $in: ids } })
      .toArray();
    return new Map(docs.map((d) => [String(d._id), toTicket(d)]));
  }
}

const NOT_OURS = 'is not a cursor of this change feed (use an endCursor or cursor it returned, unchanged)';
