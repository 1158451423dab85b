import { Field, ObjectType } from 'type-graphql';
import { Ticket } from '../tickets/ticket.model';
import type { TicketView, TimelineEventView } from '../tickets/ticket.mappers';
import { TimelineEvent } from '../tickets/timeline-event.model';

@ObjectType({ description: 'One entry of the change feed: an event and its ticket.' })
export class TicketChange {
  @Field({ description: 'Position of this change; pass it as `after` to read on from here.' })
  public cursor!: string;

  @Field(() => TimelineEvent, { description: 'What happened.' })
  public event!: TimelineEventView;

  @Field(() => Ticket, { description: 'The ticket as it is now (not as it was at the event).' })
  public ticket!: TicketView;
}

@ObjectType({ description: 'A page of the change feed.' })
export class TicketChangePage {
  @Field(() => [TicketChange], { description: 'In feed order, the same for every reader.' })
  public changes!: TicketChange[];

  @Field(() => String, {
    nullable: true,
    description:
      'Pass back as `after` for the next page: the last change returned, or the `after` given when none was.',
  })
  public endCursor!: string | null;

  @Field({ description: 'More changes can be read right now.' })
  public hasMore!: boolean;
}
