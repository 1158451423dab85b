// What one request may ask for: depth, aliases, directives
// (graphql-armor), cost and a handful of ticket lookups at most (on what
// the operation runs: operation-plan.ts), and tokens (the
// parser's own maxTokens, so the document is parsed once and syntax errors
// keep GRAPHQL_PARSE_FAILED). Every refusal is a 400 decided before any
// resolver runs.
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationRule } from 'graphql';
import { UNPAGED_LIST_ITEMS, type OperationPlan } from './operation-plan';

export const LIMITS = {
  depth: 6,
  aliases: 5,
  directives: 10,
  tokens: 1_000,
  /** See operation-plan.ts: a feed page of 500 with every field fits; two 100-ticket pages with timelines do not. */
  cost: 20_000,
  /** trackTicket / ticketTimeline / ticketUpdated fields in one operation, as they run. */
  lookups: 3,
} as const;

/** Public lookups of one ticket by number and email (or key: replyAsCustomer's wrong key is a guess too). */
export const LOOKUP_FIELDS: ReadonlySet<string> = new Set([
  'trackTicket',
  'ticketTimeline',
  'ticketUpdated',
  'replyAsCustomer',
]);

const refusal = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });

/** The limits only a plan can check (what runs, variables applied): lookups per request and cost. */
export function planRefusal(plan: OperationPlan): GraphQLError | null {
  const lookups = plan.rootFields.filter((f) => LOOKUP_FIELDS.has(f.name)).length;
  if (lookups > LIMITS.lookups) return refusal(`At most ${LIMITS.lookups} ticket lookups per request.`);
  if (plan.cost > LIMITS.cost)
    return refusal(
      `Query cost ${Number.isFinite(plan.cost) ? plan.cost : 'over the walk limit'} exceeds ${LIMITS.cost} (each field counts 1; a field with first counts its subtree first times; other lists ${UNPAGED_LIST_ITEMS} times).`,
    );
  return null;
}

/**
 * The validation rules both transports add to graphql-js's own
 * (specifiedRules): graphql-armor's, and no introspection unless it is on.
 */
export function queryLimits({ introspection }: { introspection: boolean }): {
  validationRules: ValidationRule[];
  plugins: ReturnType<ApolloArmor['protect']>['plugins'];
  parseOptions: { maxTokens: number };
} {
  const armor = new ApolloArmor({
    maxDepth: { n: LIMITS.depth, flattenFragments: true },
    maxAliases: { n: LIMITS.aliases },
    maxDirectives: { n: LIMITS.directives },
    // graphql-armor's Apollo token check parses every document a second time
    // and reports syntax errors as validation errors; parseOptions does it in one pass.
    maxTokens: { enabled: false },
    // The cost limit needs variables (first: $n), so it runs on the plan (planRefusal).
    costLimit: { enabled: false },
    // Suggestions are removed where every error passes, for both transports (errors/format-error.ts).
    blockFieldSuggestion: { enabled: false },
  }).protect();
  const rules = [...armor.validationRules, ...(introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  return { validationRules: rules, plugins: armor.plugins, parseOptions: { maxTokens: LIMITS.tokens } };
}
