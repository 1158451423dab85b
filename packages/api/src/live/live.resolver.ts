// Subscriptions over graphql-ws. Each subscriber gets a stream fed by this
// process's one reader of the change feed (feed-hub.ts).
import { Arg, Authorized, Ctx, Resolver, Root, Subscription } from 'type-graphql';
import { requireScopes } from '../graphql/auth-checker';
import type { Context } from '../graphql/context';
import { TicketChange } from '../feed/ticket-change.type';
import { isPublicEvent, toEvent, type TicketView } from '../tickets/ticket.mappers';
import { Ticket } from '../tickets/ticket.model';

type Args = { ticketNumber: string; email?: string | null; key?: string | null };

/**
 * The ticket now, then again after each new event of it. Unknown number and
 * wrong email alike: a stream that ends at once, without data.
 */
async function ticketUpdates(ctx: Context, { ticketNumber, email, key }: Args): Promise<AsyncIterable<TicketView>> {
  const ticket = await ctx.conversation.track(ticketNumber, email, key);
  let stopListening = () => {};
  const stream = ctx.live.openStream<TicketView>(() => stopListening());
  if (!ticket) {
    stream.end();
    return stream;
  }
  stream.push(ticket);
  // Events already in a state sent need no new one (the feed may bring a
  // ticket's events a moment after the subscriber saw them in its first state).
  const sent = new Set(ticket.timeline?.map((e) => e.id));
  // One refresh at a time, and at most one more waiting: however many events
  // arrive meanwhile, the next refresh reads the ticket as it is then, so the
  // latest state always arrives last and nothing piles up.
  let refreshing = false;
  let again = false;
  const refresh = async (): Promise<void> => {
    refreshing = true;
    try {
      do {
        again = false;
        const now = await ctx.conversation.track(ticketNumber, email, key).catch(() => null);
        if (!now) continue;
        if (now.timeline?.every((e) => sent.has(e.id))) continue;
        now.timeline?.forEach((e) => sent.add(e.id));
        stream.push(now);
      } while (again);
    } finally {
      refreshing = false;
    }
  };
  stopListening = ctx.live.subscribe((change) => {
    // An internal event (a note, an assignment) changes nothing the customer
    // sees: sending the same state again would tell them something happened.
    if (
      String(change.event.ticketId) !== ticket.id ||
      !isPublicEvent(change.event) ||
      sent.has(String(change.event._id))
    )
      return;
    if (refreshing) again = true;
    else void refresh();
  });
  return stream;
}

function feedChanges(ctx: Context): AsyncIterable<TicketChange> {
  requireScopes(ctx, ['tickets:read']); // before subscribing, not only per event
  let stopListening = () => {};
  const stream = ctx.live.openStream<TicketChange>(() => stopListening());
  // Every change is queued: the hub waits for room in this queue before each page (feed-hub.ts).
  stopListening = ctx.live.subscribe(
    (c) => stream.push({ cursor: c.cursor, event: toEvent(c.event, true), ticket: c.ticket }),
    () => stream.size,
  );
  return stream;
}

@Resolver()
export class LiveResolver {
  @Subscription(() => Ticket, {
    subscribe: ({ args, context }) => ticketUpdates(context as Context, args as Args),
    description:
      "Public. The ticket as it is now, at once, then again after each new timeline event (from any API process, within seconds). For an unknown number or a wrong email: completes at once without data, the same for both. Counts against the lookup rate limits. A subscriber that falls more than the server's bound behind is ended with SLOW_CONSUMER.",
  })
  ticketUpdated(
    @Root() ticket: TicketView,
    @Arg('ticketNumber', { description: 'Ticket number, e.g. "TKT-00042" (case-insensitive, trimmed).' })
    _ticketNumber: string,
    @Arg('email', () => String, {
      nullable: true,
      description: 'The customer email the ticket was created with (case-insensitive, trimmed); or give key.',
    })
    _email: string | null,
    @Arg('key', () => String, {
      nullable: true,
      description: "The ticket's customerKey, instead of email (exactly one of the two).",
    })
    _key: string | null,
  ): TicketView {
    return ticket;
  }

  @Authorized('tickets:read')
  @Subscription(() => TicketChange, {
    subscribe: ({ context }) => feedChanges(context as Context),
    description:
      "tickets:read. Every change of the feed from the moment of subscribing. To miss nothing across reconnects, read ticketChanges with a cursor. A subscriber that falls more than the server's bound behind is ended with SLOW_CONSUMER.",
  })
  ticketChanged(@Root() change: TicketChange, @Ctx() _ctx: Context): TicketChange {
    return change;
  }
}
