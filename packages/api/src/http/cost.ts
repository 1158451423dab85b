// What a request cost, told on every answer: `extensions.cost` and the
// X-RateLimit-* headers (HTTP), the same numbers in each result over
// WebSocket, and the `rateLimit` root field. The numbers are the store's
// own (rate-limit.ts), taken as the request was charged, so they are the
// ones the next 429 is decided by.
import type { ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Context } from '../graphql/context';
import { refusalState, type Budget, type BudgetState, type CostRecorder, type RateLimits } from './rate-limit';

/** The budgets an answer reports (the failed-lookup guards and upload bytes only when they refuse). */
const REPORTED: ReadonlySet<Budget> = new Set(['create', 'lookup', 'agent', 'other', 'invalid']);

/** `extensions.cost` as sent. */
export interface CostExtension {
  budget: Budget;
  requested: number;
  limit: number;
  remaining: number;
  resetAt: string;
}

export const costExtension = (s: BudgetState): CostExtension => ({
  budget: s.budget,
  requested: s.requested,
  limit: s.limit,
  remaining: s.remaining,
  resetAt: s.resetAt.toISOString(),
});

/** The headers GitHub's and most APIs' clients read; Reset in Unix seconds. */
export function costHeaders(s: BudgetState): [string, string][] {
  return [
    ['x-ratelimit-limit', String(s.limit)],
    ['x-ratelimit-remaining', String(s.remaining)],
    ['x-ratelimit-reset', String(Math.floor(s.resetAt.getTime() / 1000))],
    ['x-ratelimit-resource', s.budget],
  ];
}

export const COST_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-ratelimit-resource'];

/**
 * Which of the budgets a request spent its answer reports: the one that
 * refused it, else the reported one nearest to running out (by share left).
 */
export function primaryBudget(states: Iterable<BudgetState>): BudgetState | undefined {
  let best: BudgetState | undefined;
  for (const s of states) {
    if (s.refused) return s;
    if (!REPORTED.has(s.budget)) continue;
    if (!best || s.remaining / s.limit < best.remaining / best.limit) best = s;
  }
  return best;
}

/** One request's charges, as the budgets' store answered them. */
export class CostMeter implements CostRecorder {
  private readonly states = new Map<Budget, BudgetState>();

  constructor(
    private readonly rateLimits: RateLimits,
    private readonly ip: string,
    /** Token holders' default budget is the agents'; the public's, lookups. */
    private readonly hasToken: boolean,
  ) {}

  record(state: BudgetState): void {
    const before = this.states.get(state.budget);
    this.states.set(
      state.budget,
      before
        ? { ...state, requested: before.requested + state.requested, refused: before.refused || state.refused }
        : state,
    );
  }

  /** What this request spent (the refusing budget, if any), known without asking the store. */
  spent(): BudgetState | undefined {
    return primaryBudget(this.states.values());
  }

  /**
   * The budget to report: `budget` when asked for one (what this request
   * charged to it, or as it stands), else the one this request spent, else
   * (nothing charged) the caller's usual budget as it stands.
   */
  async report(budget?: Budget): Promise<BudgetState> {
    if (budget) return this.states.get(budget) ?? this.rateLimits.peek(budget, this.ip);
    return this.spent() ?? this.rateLimits.peek(this.hasToken ? 'agent' : 'lookup', this.ip);
  }
}

/** Over HTTP: a meter in every request's context, its report on every answer. */
export function costPlugin(rateLimits: RateLimits | null): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      if (!rateLimits) return;
      const meter = new CostMeter(rateLimits, contextValue.ip, contextValue.principal !== null);
      contextValue.cost = meter;
      return {
        async willSendResponse({ response }) {
          // A store that cannot answer now: the answer goes without (the operation says why, if it failed for it).
          const state = await meter.report().catch(() => undefined);
          if (!state) return;
          for (const [name, value] of costHeaders(state)) response.http.headers.set(name, value);
          if (response.body.kind === 'single')
            response.body.singleResult.extensions = {
              ...response.body.singleResult.extensions,
              cost: costExtension(state),
            };
        },
      };
    },
  };
}

/** An answer refused before GraphQL runs: its status and headers, the error, and the budget it spent. */
export function sendRefusal(res: ServerResponse, err: GraphQLError, state: BudgetState | undefined): void {
  const { http, ...extensions } = err.extensions as { http?: { status?: number } } & Record<string, unknown>;
  res.statusCode = http?.status ?? (extensions.code === 'INTERNAL_SERVER_ERROR' ? 500 : 400);
  if (extensions.retryAfter !== undefined) res.setHeader('retry-after', String(extensions.retryAfter));
  if (state) for (const [name, value] of costHeaders(state)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  const body: Record<string, unknown> = { errors: [{ message: err.message, extensions }] };
  if (state) body.extensions = { cost: costExtension(state) };
  res.end(JSON.stringify(body));
}

/** A 429 decided before GraphQL runs (the invalid-document budget spent): Retry-After, the budget's headers and extensions.cost. */
export const refuseSpent = (res: ServerResponse, err: GraphQLError): void => sendRefusal(res, err, refusalState(err));

/** Over WebSocket, refusals before the operation runs are an error message: each error carries the cost in its extensions. */
export function withCost(errors: GraphQLError[], state: BudgetState | undefined): GraphQLError[] {
  if (!state) return errors;
  return errors.map(
    (e) =>
      new GraphQLError(e.message, {
        nodes: e.nodes,
        originalError: e.originalError,
        extensions: { ...e.extensions, cost: costExtension(state) },
      }),
  );
}
