// `rateLimit`: the caller's budget, free (FREE_FIELDS in rate-limit.ts).
import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context';
import { RateLimit, RateLimitBudget } from './rate-limit.type';

@Resolver()
export class RateLimitResolver {
  @Query(() => RateLimit, {
    nullable: true,
    description:
      "Public, costs nothing. A budget of the calling address: by default the one this request spent (nearest to running out), or, when it spent none, the agents' budget for a token holder and the lookups' for others. null when this deployment does not limit (RATE_LIMIT=off).",
  })
  async rateLimit(
    @Arg('budget', () => RateLimitBudget, { nullable: true, description: 'Read this budget instead.' })
    budget: RateLimitBudget | null,
    @Ctx() ctx: Context,
  ): Promise<RateLimit | null> {
    if (!ctx.cost) return null;
    const s = await ctx.cost.report(budget ?? undefined);
    return {
      budget: s.budget as RateLimitBudget,
      cost: s.requested,
      limit: s.limit,
      remaining: s.remaining,
      resetAt: s.resetAt,
    };
  }
}
