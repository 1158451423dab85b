import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context';
import { FEED_PAGE } from './feed.service';
import { TicketChangePage } from './ticket-change.type';

@Resolver()
export class FeedResolver {
  @Authorized('tickets:read')
  @Query(() => TicketChangePage, {
    description:
      'tickets:read. The change feed: every timeline event of every ticket, in one order for every reader. Keep passing endCursor back as `after` to see each event exactly once.',
  })
  ticketChanges(
    @Arg('after', () => String, {
      nullable: true,
      description:
        'Read on after this cursor (an endCursor or cursor this feed returned, unchanged). One past the end of the feed, from another database or spelt otherwise: BAD_USER_INPUT.',
    })
    after: string | null,
    @Arg('since', () => Date, {
      nullable: true,
      description:
        'With no `after`: start at the first event (in feed order) whose `at`, the clock of the API process that wrote it, is at or after this time.',
    })
    since: Date | null,
    @Arg('first', () => Int, { defaultValue: 100, description: `Page size, ${FEED_PAGE.min}-${FEED_PAGE.max}.` })
    first: number,
    @Ctx() ctx: Context,
  ) {
    return ctx.feed.read(after, since, first);
  }
}
