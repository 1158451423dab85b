// Relay-style pages of tickets.
import { Field, Int, ObjectType } from 'type-graphql';
import { Ticket } from '../tickets/ticket.model';
import type { TicketView } from '../tickets/ticket.mappers';

@ObjectType({ description: 'Where a page starts and ends (Relay Cursor Connections).' })
export class PageInfo {
  @Field({ description: 'More tickets follow: pass endCursor as `after` to get them.' })
  public hasNextPage!: boolean;

  @Field({
    description:
      'Always false: pages go forward only (`first`/`after`), so nothing is said about tickets before the page.',
  })
  public hasPreviousPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the first ticket of this page; null when the page is empty.',
  })
  public startCursor!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the last ticket of this page; null when the page is empty.',
  })
  public endCursor!: string | null;
}

@ObjectType({ description: 'A ticket and its place in the listing.' })
export class TicketEdge {
  @Field({ description: 'Opaque position of this ticket; pass it as `after` to continue after it.' })
  public cursor!: string;

  @Field(() => Ticket)
  public node!: TicketView;
}

@ObjectType({ description: 'A page of tickets.' })
export class TicketConnection {
  @Field(() => [TicketEdge])
  public edges!: TicketEdge[];

  @Field(() => PageInfo)
  public pageInfo!: PageInfo;

  /** The filter, for totalCount (counted only when asked for). */
  public query!: Record<string, unknown>;
}

export const TOTAL_COUNT = {
  type: () => Int,
  description: 'How many tickets match the filter (all pages). Costs a count: ask only when needed.',
};
