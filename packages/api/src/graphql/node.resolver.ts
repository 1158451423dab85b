// `node(id:)`: refetch any Node by its global id (Relay). Token holders only.
import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { Context } from './context';
import { Node } from './node.type';

@Resolver()
export class NodeResolver {
  @Authorized('tickets:read')
  @Query(() => Node, {
    nullable: true,
    description: "tickets:read. The object with this global id (a Ticket's `id`), or null when there is none.",
  })
  node(@Arg('id', () => ID, { description: 'A global id, as returned in `id`.' }) id: string, @Ctx() ctx: Context) {
    return ctx.tickets.byIdOrNull(id);
  }
}
