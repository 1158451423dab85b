// The GraphQL shape of a budget (`rateLimit`, contract: "Integrators can budget and trust").
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';

/** The budgets a caller can read (http/rate-limit.ts's BUDGETS). */
export enum RateLimitBudget {
  CREATE = 'create',
  LOOKUP = 'lookup',
  AGENT = 'agent',
  OTHER = 'other',
  INVALID = 'invalid',
}

registerEnumType(RateLimitBudget, {
  name: 'RateLimitBudget',
  description: 'A per-address budget: each root field an operation runs spends a point of its own.',
  valuesConfig: {
    CREATE: { description: 'createTicket and createUpload without a token.' },
    LOOKUP: { description: 'trackTicket, ticketTimeline and ticketUpdated.' },
    AGENT: { description: 'Every operation that needs a token.' },
    OTHER: { description: 'Root fields not named by another budget.' },
    INVALID: { description: 'Documents that fail to parse or validate, and tokens that do not check out.' },
  },
});

@ObjectType({
  description:
    'A budget of the calling address, after this request was charged (the same numbers as extensions.cost and the X-RateLimit-* headers).',
})
export class RateLimit {
  @Field(() => RateLimitBudget, { description: 'Which budget these numbers are.' })
  public budget!: RateLimitBudget;

  @Field(() => Int, { description: 'Points this request charged to it (rateLimit itself costs nothing).' })
  public cost!: number;

  @Field(() => Int, { description: 'Points in one window.' })
  public limit!: number;

  @Field(() => Int, { description: 'Points left in this window; at 0 the next charge is refused (RATE_LIMITED).' })
  public remaining!: number;

  @Field({ description: 'When the window ends and the budget is whole again.' })
  public resetAt!: Date;
}
