// Per-client budgets, by kind of operation: public creation and lookups
// tight, agent work looser. Counted per root field, so aliasing a lookup
// ten times in one request costs ten.
import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../errors/api-errors';
import type { Context } from './context';

export type Budget = 'create' | 'lookup' | 'agent' | 'other';

/** Requests per minute per client IP. */
export const BUDGETS: Record<Budget, number> = { create: 20, lookup: 60, agent: 600, other: 300 };

const BUDGET_OF_FIELD: Record<string, Budget> = {
  createTicket: 'create',
  trackTicket: 'lookup',
  ticketTimeline: 'lookup',
  respondToTicket: 'agent',
  updateTicketStatus: 'agent',
  resolveTicket: 'agent',
};

export function budgetsOf(operation: OperationDefinitionNode): Map<Budget, number> {
  const counts = new Map<Budget, number>();
  for (const sel of operation.selectionSet.selections) {
    const budget = sel.kind === 'Field' ? BUDGET_OF_FIELD[sel.name.value] ?? 'other' : 'other';
    counts.set(budget, (counts.get(budget) ?? 0) + 1);
  }
  return counts;
}

export function rateLimitPlugin(budgets: Record<Budget, number> = BUDGETS): ApolloServerPlugin<Context> {
  const limiters = Object.fromEntries(
    (Object.keys(budgets) as Budget[]).map((b) => [b, new RateLimiterMemory({ keyPrefix: `rl-${b}`, points: budgets[b], duration: 60 })]),
  ) as Record<Budget, RateLimiterMemory>;
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (!operation) return;
          for (const [budget, points] of budgetsOf(operation)) {
            try {
              await limiters[budget].consume(contextValue.ip, points);
            } catch (res) {
              if (!(res instanceof RateLimiterRes)) throw res;
              throw rateLimited(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
            }
          }
        },
      };
    },
  };
}
