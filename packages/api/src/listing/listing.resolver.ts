import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context';
import { TicketConnection, TOTAL_COUNT } from './ticket-connection.type';
import { TicketFilter, TicketOrder } from './ticket-filter.input';
import { PAGE_SIZE } from './listing.service';

@Resolver(() => TicketConnection)
export class ListingResolver {
  @Authorized('tickets:read')
  @Query(() => TicketConnection, {
    description:
      'tickets:read. Tickets matching the filter, a page at a time. Walking every page returns each ticket that matched when the walk began exactly once, while others are created.',
  })
  tickets(
    @Arg('filter', () => TicketFilter, { nullable: true, description: 'Which tickets; all when left out.' })
    filter: TicketFilter | null,
    @Arg('orderBy', () => TicketOrder, {
      defaultValue: TicketOrder.CREATED_DESC,
      description: 'Newest, oldest, or last activity first.',
    })
    orderBy: TicketOrder,
    @Arg('first', () => Int, { defaultValue: 20, description: `Page size, ${PAGE_SIZE.min}-${PAGE_SIZE.max}.` })
    first: number,
    @Arg('after', () => String, {
      nullable: true,
      description: 'Continue after this cursor (pageInfo.endCursor of the previous page).',
    })
    after: string | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.listing.list(filter, orderBy, first, after);
  }

  @FieldResolver(TOTAL_COUNT.type, { description: TOTAL_COUNT.description })
  totalCount(@Root() connection: TicketConnection, @Ctx() ctx: Context) {
    return ctx.listing.count(connection.query);
  }
}
