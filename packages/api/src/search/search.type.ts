// The answer of searchTickets: Relay-style pages of ranked tickets.
import { Field, ObjectType } from 'type-graphql';
import { PageInfo } from '../listing/ticket-connection.type';
import { Ticket } from '../tickets/ticket.model';
import type { TicketView } from '../tickets/ticket.mappers';

@ObjectType({ description: 'A ticket found by searchTickets, and its place in the ranking.' })
export class TicketSearchEdge {
  @Field({ description: 'Opaque position of this ticket in the ranking; pass it as `after` to continue after it.' })
  public cursor!: string;

  @Field(() => Ticket, { description: 'The ticket.' })
  public node!: TicketView;
}

@ObjectType({ description: 'A page of search results, best matches first, then newest.' })
export class TicketSearchConnection {
  @Field(() => [TicketSearchEdge], { description: 'The tickets of this page.' })
  public edges!: TicketSearchEdge[];

  @Field(() => PageInfo, { description: 'Where the page ends; pages go forward only.' })
  public pageInfo!: PageInfo;
}
