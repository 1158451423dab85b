// Reading the change feed. Positions come from the batch documents, which
// are contiguous (see sequencer.ts): a page is the run of consecutive
// positions after the cursor. A missing batch is one being claimed this
// instant, and the page ends before it rather than skip it.
import { Types } from 'mongoose';
import { badUserInput, type FieldProblem } from '../errors/api-errors';
import { TicketModel } from '../tickets/ticket.model';
import { toEvent, toTicket, type StoredEvent, type StoredTicket, type TicketView } from '../tickets/ticket.service';
import { TimelineEventModel } from '../tickets/timeline-event.model';
import { FeedBatchModel, type FeedBatch } from './feed-batch.model';
import { decodeFeedCursor, encodeFeedCursor } from './feed-cursor';
import { lastBatch } from './sequencer';
import type { TicketChangePage } from './ticket-change.type';

export const FEED_PAGE = { min: 1, max: 500 } as const;

/** One change as feed readers inside the API get it. */
export interface FeedChange {
  seq: number;
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
export function positionsAfter(batches: Pick<FeedBatch, '_id' | 'end' | 'ids'>[], from: number, limit: number): Position[] {
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

const batches = () => FeedBatchModel.collection;

export class FeedService {
  async read(after: string | null | undefined, since: Date | null | undefined, first: number): Promise<TicketChangePage> {
    const problems: FieldProblem[] = [];
    if (!Number.isInteger(first) || first < FEED_PAGE.min || first > FEED_PAGE.max) problems.push({ field: 'first', message: `must be from ${FEED_PAGE.min} to ${FEED_PAGE.max}` });
    const given = after === null || after === undefined ? null : decodeFeedCursor(after);
    if (after !== null && after !== undefined && given === null) problems.push({ field: 'after', message: 'is not a cursor of the change feed (use an endCursor it returned)' });
    if (problems.length) throw badUserInput(problems);

    const from = given ?? (since ? await this.positionBefore(since) : 0);
    const read = await this.changesAfter(from, first);
    const changes = read.changes.map((c) => ({ cursor: encodeFeedCursor(c.seq), event: toEvent(c.event, true), ticket: c.ticket }));
    const endCursor = read.end > from ? encodeFeedCursor(read.end) : (after ?? (from > 0 ? encodeFeedCursor(from) : null));
    return { changes, endCursor, hasMore: read.more };
  }

  /**
   * Up to `limit` positions after `from`, with their events and tickets as
   * they are now; `end` is the last position covered (past any passed over),
   * `more` whether more can be read right now. What every feed reader uses:
   * `ticketChanges`, webhooks, subscriptions.
   */
  async changesAfter(from: number, limit: number): Promise<{ changes: FeedChange[]; end: number; more: boolean }> {
    // One more than asked for: whether more can be read right now.
    const run = positionsAfter(await this.batchesFrom(from + 1, limit + 1), from, limit + 1);
    const page = run.slice(0, limit);
    const events = await this.eventsOf(page);
    const tickets = await this.ticketsOf([...events.values()]);
    // An event or ticket that is gone (a create undone after its event was
    // written) is not a change of any ticket: every reader passes over it alike.
    const changes = page.flatMap((p) => {
      const event = events.get(String(p.id));
      const ticket = event && tickets.get(String(event.ticketId));
      return event && ticket ? [{ seq: p.seq, event, ticket }] : [];
    });
    return { changes, end: page.at(-1)?.seq ?? from, more: run.length > limit };
  }

  /** The position of the newest change (0 while the feed is empty): a reader starting now starts after it. */
  async latestPosition(): Promise<number> {
    return (await lastBatch())?.end ?? 0;
  }

  /**
   * The position a feed cursor designates (0 for none: the feed's start), or
   * BAD_USER_INPUT on `after` when it is not a cursor of this feed or lies past its end.
   */
  async positionAfter(after: string | null | undefined): Promise<number> {
    if (after === null || after === undefined) return 0;
    const seq = decodeFeedCursor(after);
    if (seq === null) throw badUserInput([{ field: 'after', message: 'is not a cursor of the change feed (use an endCursor it returned)' }]);
    if (seq > (await this.latestPosition())) throw badUserInput([{ field: 'after', message: 'is past the end of the change feed' }]);
    return seq;
  }

  /** The batch holding position `seq` and up to `count` batches after it. */
  private async batchesFrom(seq: number, count: number): Promise<FeedBatch[]> {
    const holder = await batches().find<FeedBatch>({ _id: { $lte: seq } as never }).sort({ _id: -1 }).limit(1).next();
    return batches().find<FeedBatch>({ _id: { $gte: holder?._id ?? seq } as never }).sort({ _id: 1 }).limit(count + 1).toArray();
  }

  /** The position just before the first event at or after `since`, in feed order. */
  private async positionBefore(since: Date): Promise<number> {
    // The last batch first: anything not found below is claimed after it.
    const last = await lastBatch();
    const batch = await batches().find<FeedBatch>({ maxAt: { $gte: since } }).sort({ _id: 1 }).limit(1).next();
    if (!batch) return last?.end ?? 0;
    const events = await this.eventsOf(batch.ids.map((id, i) => ({ seq: batch._id + i, id })));
    const index = batch.ids.findIndex((id) => (events.get(String(id))?.at ?? new Date(0)) >= since);
    return batch._id + Math.max(index, 0) - 1;
  }

  private async eventsOf(positions: Position[]): Promise<Map<string, StoredEvent>> {
    if (!positions.length) return new Map();
    const docs = await TimelineEventModel.collection.find<StoredEvent>({ _id: { $in: positions.map((p) => p.id) } }).toArray();
    return new Map(docs.map((d) => [String(d._id), d]));
  }

  private async ticketsOf(events: StoredEvent[]): Promise<Map<string, TicketView>> {
    const ids = [...new Set(events.map((e) => String(e.ticketId)))].map((id) => new Types.ObjectId(id));
    if (!ids.length) return new Map();
    const docs = await TicketModel.collection.find<StoredTicket>({ _id: { $in: ids } }).toArray();
    return new Map(docs.map((d) => [String(d._id), toTicket(d)]));
  }
}
