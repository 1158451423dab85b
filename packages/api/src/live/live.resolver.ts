// Subscriptions over graphql-ws. Each subscriber gets a stream fed by this
// process's one reader of the change feed (feed-hub.ts).
import { Arg, Authorized, Ctx, Resolver, Root, Subscription } from 'type-graphql';
import { requireScopes } from '../graphql/auth-checker';
import type { Context } from '../graphql/context';
import { TicketChange } from '../feed/ticket-change.type';
import { encodeFeedCursor } from '../feed/feed-cursor';
import { isPublicEvent, toEvent, type TicketView } from '../tickets/ticket.service';
import { Ticket } from '../tickets/ticket.model';
import { AsyncQueue } from './async-queue';

type Args = { ticketNumber: string; email: string };

/**
 * The ticket now, then again after each new event of it. Unknown number and
 * wrong email alike: a stream that ends at once, without data.
 */
async function ticketUpdates(ctx: Context, { ticketNumber, email }: Args): Promise<AsyncIterable<TicketView>> {
  const ticket = await ctx.tickets.track(ticketNumber, email);
  const stream = new AsyncQueue<TicketView>(() => { stopListening(); untrack(); });
  const untrack = ctx.live.track(stream);
  let stopListening = () => {};
  if (!ticket) {
    stream.end();
    return stream;
  }
  stream.push(ticket);
  // Events already in a state sent need no new one (the feed may bring a
  // ticket's events a moment after the subscriber saw them in its first state).
  const sent = new Set(ticket.timeline?.map((e) => e.id));
  // One refresh at a time, in order: the latest state always arrives last.
  let refreshing = Promise.resolve();
  stopListening = ctx.live.subscribe((change) => {
    // An internal event (a note, an assignment) changes nothing the customer
    // sees: sending the same state again would tell them something happened.
    if (String(change.event.ticketId) !== ticket.id || !isPublicEvent(change.event)) return;
    refreshing = refreshing.then(async () => {
      if (sent.has(String(change.event._id))) return;
      const now = await ctx.tickets.track(ticketNumber, email).catch(() => null);
      if (!now) return;
      now.timeline?.forEach((e) => sent.add(e.id));
      stream.push(now);
    });
  });
  return stream;
}

function feedChanges(ctx: Context): AsyncIterable<TicketChange> {
  requireScopes(ctx, ['tickets:read']); // before subscribing, not only per event
  const stream = new AsyncQueue<TicketChange>(() => { stopListening(); untrack(); });
  const untrack = ctx.live.track(stream);
  const stopListening = ctx.live.subscribe((c) => stream.push({ cursor: encodeFeedCursor(c.seq), event: toEvent(c.event, true), ticket: c.ticket }));
  return stream;
}

@Resolver()
export class LiveResolver {
  @Subscription(() => Ticket, {
    subscribe: ({ args, context }) => ticketUpdates(context as Context, args as Args),
    description: 'Public. The ticket as it is now, at once, then again after each new timeline event (from any API process, within seconds). For an unknown number or a wrong email: completes at once without data, the same for both. Counts against the lookup rate limits.',
  })
  ticketUpdated(
    @Root() ticket: TicketView,
    @Arg('ticketNumber', { description: 'Ticket number, e.g. "TKT-00042" (case-insensitive, trimmed).' }) _ticketNumber: string,
    @Arg('email', { description: 'The customer email the ticket was created with (case-insensitive, trimmed).' }) _email: string,
  ): TicketView {
    return ticket;
  }

  @Authorized('tickets:read')
  @Subscription(() => TicketChange, {
    subscribe: ({ context }) => feedChanges(context as Context),
    description: 'tickets:read. Every change of the feed from the moment of subscribing. To miss nothing across reconnects, read ticketChanges with a cursor.',
  })
  ticketChanged(@Root() change: TicketChange, @Ctx() _ctx: Context): TicketChange {
    return change;
  }
}
