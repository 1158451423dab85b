// Thin: policies in and out, and Ticket.sla for agents.
import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { canSeeActors } from '../graphql/auth-checker';
import type { Context } from '../graphql/context';
import { Ticket } from '../tickets/ticket.model';
import type { TicketView } from '../tickets/ticket.mappers';
import { SlaPolicy, SlaPolicyInput } from './sla-policy.type';
import type { PolicySet } from './sla-policy.model';
import { viewOf } from './sla.service';
import { TicketSla } from './ticket-sla.type';

// Policies and deadlines are read from the database on each request: no process keeps state of its own.
// The service comes with the request's context (built by compose.ts).
/**
 * One read of the policies per request, however many tickets it shows. A
 * subscription keeps its context for hours: there a read serves one second.
 */
const perRequest = new WeakMap<object, { at: number; set: Promise<PolicySet> }>();
const FRESH_MS = 1_000;
const policiesOf = (ctx: Context): Promise<PolicySet> => {
  const known = perRequest.get(ctx);
  if (known && performance.now() - known.at < FRESH_MS) return known.set;
  const set = ctx.sla.policies();
  perRequest.set(ctx, { at: performance.now(), set });
  return set;
};

@Resolver()
export class SlaPolicyResolver {
  @Authorized('tickets:read')
  @Query(() => [SlaPolicy], { description: 'tickets:read. The service-level policies, in the order they are tried.' })
  async slaPolicies(@Ctx() ctx: Context): Promise<SlaPolicy[]> {
    return (await ctx.sla.policies()).policies;
  }

  @Authorized('settings:manage')
  @Mutation(() => [SlaPolicy], {
    description:
      'settings:manage. Replace every policy at once (an empty list removes them all). The running deadlines of open tickets move to the new policies.',
  })
  setSlaPolicies(
    @Arg('policies', () => [SlaPolicyInput], {
      description: "The policies, in the order they are tried: the first listing a ticket's priority applies.",
    })
    policies: SlaPolicyInput[],
    @Ctx() ctx: Context,
  ): Promise<SlaPolicy[]> {
    return ctx.sla.setPolicies(policies);
  }
}

@Resolver(() => Ticket)
export class TicketSlaResolver {
  @FieldResolver(() => TicketSla, {
    nullable: true,
    description:
      'Deadlines under the service-level policy that applies (tickets:read); null for public callers and when no policy applies.',
  })
  async sla(@Root() ticket: TicketView, @Ctx() ctx: Context): Promise<TicketSla | null> {
    if (!canSeeActors(ctx)) return null;
    const set = await policiesOf(ctx);
    if (!set.policies.length) return null;
    // Batched with the timelines of the same page (one query for all its tickets).
    const events = await ctx.timelines.load(ticket._id);
    const state = ctx.sla.stateOf(set, ticket, events);
    return state && viewOf(state);
  }
}
