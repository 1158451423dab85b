import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context';
import { TicketFilter } from '../listing/ticket-filter.input';
import { MAX_QUERY_LENGTH } from './analyzer';
import { SEARCH_PAGE } from './search.service';
import { TicketSearchConnection } from './search.type';

@Resolver()
export class SearchResolver {
  @Authorized('tickets:read')
  @Query(() => TicketSearchConnection, {
    description:
      'tickets:read. Tickets whose subject, description, messages, notes, resolution notes or customer name hold every word of the query (case and accents ignored; the last word also as a prefix; "quoted phrases" word for word; a ticket number or a customer email finds its tickets), best matches first, then newest. A text is found once the write that made it has returned; erased texts never. See docs/search.md.',
  })
  searchTickets(
    @Arg('query', () => String, { description: `What to look for, at most ${MAX_QUERY_LENGTH} characters.` })
    query: string,
    @Arg('filter', () => TicketFilter, { nullable: true, description: 'Only tickets matching this filter as well.' })
    filter: TicketFilter | null,
    @Arg('first', () => Int, { defaultValue: 20, description: `Page size, ${SEARCH_PAGE.min}-${SEARCH_PAGE.max}.` })
    first: number,
    @Arg('after', () => String, {
      nullable: true,
      description: 'Continue after this cursor (pageInfo.endCursor of the previous page).',
    })
    after: string | null,
    @Ctx() ctx: Context,
  ): Promise<TicketSearchConnection> {
    // Every holder of tickets:read sees INTERNAL events, so notes are searched too.
    return ctx.search.search(query, filter, first, after, ctx.principal?.scopes.has('tickets:read') ?? false);
  }
}
