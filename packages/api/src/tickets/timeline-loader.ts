// Timelines of the tickets one request returns, read together: a page of
// 100 tickets (or a feed page naming 500) costs one query for all their
// events instead of one per ticket. One loader per request (graphql/context.ts).
import DataLoader from 'dataloader';
import type { Types } from 'mongoose';
import type { StoredEvent } from './ticket.mappers';
import type { TicketService } from './ticket.service';

/** Largest set of tickets read in one query; a bigger request takes a few. */
const MAX_TICKETS_PER_QUERY = 500;

export type TimelineLoader = DataLoader<Types.ObjectId, StoredEvent[]>;

export function createTimelineLoader(tickets: TicketService): TimelineLoader {
  return new DataLoader((ids) => tickets.eventsOfTickets(ids), {
    // Batching only, no cache: a request's mutations run one after another,
    // and a timeline read after a change must see it (a subscription's
    // context also lives on for many events).
    cache: false,
    maxBatchSize: MAX_TICKETS_PER_QUERY,
  });
}
