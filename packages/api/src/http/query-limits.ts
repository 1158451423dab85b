// What one request may ask for: depth, aliases, directives and cost
// (graphql-armor), a handful of ticket lookups at most, and tokens (the
// parser's own maxTokens, so the document is parsed once and syntax errors
// keep GRAPHQL_PARSE_FAILED). Every refusal is a 400 decided before any
// resolver runs.
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationRule } from 'graphql';

export const LIMITS = {
  depth: 6,
  aliases: 5,
  directives: 10,
  tokens: 1_000,
  cost: 5_000,
  /** trackTicket / ticketTimeline fields in one operation. */
  lookups: 3,
} as const;

const LOOKUP_FIELDS = new Set(['trackTicket', 'ticketTimeline']);

/** At most LIMITS.lookups ticket lookups per operation, aliases included. */
export const maxLookupsRule: ValidationRule = (context) => {
  let count = 0;
  return {
    OperationDefinition: { enter() { count = 0; } },
    Field(node) {
      if (!LOOKUP_FIELDS.has(node.name.value) || context.getParentType()?.name !== 'Query') return;
      if (++count === LIMITS.lookups + 1) {
        context.reportError(new GraphQLError(`At most ${LIMITS.lookups} ticket lookups per request.`, { nodes: [node] }));
      }
    },
  };
};

export function queryLimits(): { validationRules: ValidationRule[]; plugins: ReturnType<ApolloArmor['protect']>['plugins']; parseOptions: { maxTokens: number } } {
  const armor = new ApolloArmor({
    maxDepth: { n: LIMITS.depth, flattenFragments: true },
    maxAliases: { n: LIMITS.aliases },
    maxDirectives: { n: LIMITS.directives },
    // graphql-armor's Apollo token check parses every document a second time
    // and reports syntax errors as validation errors; parseOptions does it in one pass.
    maxTokens: { enabled: false },
    costLimit: { maxCost: LIMITS.cost },
    blockFieldSuggestion: { enabled: true },
  }).protect();
  return { validationRules: [...armor.validationRules, maxLookupsRule], plugins: armor.plugins, parseOptions: { maxTokens: LIMITS.tokens } };
}
