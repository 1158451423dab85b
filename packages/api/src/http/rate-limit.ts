// Per-client budgets, by kind of operation: public creation and lookups
// tight, agent work looser; counted per root field, so aliases cost too.
// Lookups are also limited per ticket number, whoever asks, so one ticket
// cannot be probed with many emails from many addresses.
// In memory for one process; RATE_LIMIT_STORE=mongo shares the budgets
// between processes through the same MongoDB.
import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationDefinitionNode, ValueNode } from 'graphql';
import type { Connection } from 'mongoose';
import { RateLimiterMemory, RateLimiterMongo, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimited } from '../errors/api-errors';
import { normalizeTicketNumber } from '../tickets/ticket-number';
import type { Context } from '../graphql/context';

export type Budget = 'create' | 'lookup' | 'agent' | 'other' | 'perTicket';

/** Points and window (seconds) of each budget. */
export const BUDGETS: Record<Budget, { points: number; duration: number }> = {
  create: { points: 20, duration: 60 },
  lookup: { points: 60, duration: 60 },
  agent: { points: 600, duration: 60 },
  other: { points: 300, duration: 60 },
  /** Lookups of one ticket number, from any client. */
  perTicket: { points: 30, duration: 15 * 60 },
};

const BUDGET_OF_FIELD: Record<string, Budget> = {
  createTicket: 'create',
  trackTicket: 'lookup',
  ticketTimeline: 'lookup',
  respondToTicket: 'agent',
  updateTicketStatus: 'agent',
  resolveTicket: 'agent',
  // Token holders' reads share the agents' budget.
  ticket: 'agent',
  tickets: 'agent',
  ticketChanges: 'agent',
  // A live view of one ticket is a lookup; the change stream a token holder's read.
  ticketUpdated: 'lookup',
  ticketChanged: 'agent',
  webhooks: 'agent',
  webhookDeliveries: 'agent',
  createWebhook: 'agent',
  updateWebhook: 'agent',
  deleteWebhook: 'agent',
};

export interface RootCost {
  budgets: Map<Budget, number>;
  /** Normalised ticket numbers looked up publicly. */
  lookedUp: string[];
}

function stringArg(value: ValueNode | undefined, variables: Record<string, unknown>): string | undefined {
  if (!value) return undefined;
  if (value.kind === 'StringValue') return value.value;
  if (value.kind === 'Variable') {
    const v = variables[value.name.value];
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}

export function costOf(operation: OperationDefinitionNode, variables: Record<string, unknown> = {}): RootCost {
  const budgets = new Map<Budget, number>();
  const lookedUp: string[] = [];
  for (const sel of operation.selectionSet.selections) {
    const budget = sel.kind === 'Field' ? BUDGET_OF_FIELD[sel.name.value] ?? 'other' : 'other';
    budgets.set(budget, (budgets.get(budget) ?? 0) + 1);
    if (budget === 'lookup' && sel.kind === 'Field') {
      const n = stringArg(sel.arguments?.find((a) => a.name.value === 'ticketNumber')?.value, variables);
      if (n) lookedUp.push(normalizeTicketNumber(n));
    }
  }
  return { budgets, lookedUp };
}

export type RateLimitStore = { kind: 'memory' } | { kind: 'mongo'; connection: Connection };

function limiters(store: RateLimitStore): Record<Budget, RateLimiterAbstract> {
  const make = (budget: Budget): RateLimiterAbstract => {
    const opts = { keyPrefix: `rl_${budget}`, ...BUDGETS[budget] };
    return store.kind === 'mongo' ? new RateLimiterMongo({ ...opts, storeClient: store.connection, tableName: 'rate_limits' }) : new RateLimiterMemory(opts);
  };
  return Object.fromEntries((Object.keys(BUDGETS) as Budget[]).map((b) => [b, make(b)])) as Record<Budget, RateLimiterAbstract>;
}

async function spend(limiter: RateLimiterAbstract, key: string, points: number): Promise<void> {
  try {
    await limiter.consume(key, points);
  } catch (res) {
    if (!(res instanceof RateLimiterRes)) throw res; // the store failed: let the error mapper decide
    throw rateLimited(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
  }
}

/** The budgets of one deployment: charge an operation to its client before it runs. */
export interface RateLimits {
  charge(operation: OperationDefinitionNode, variables: Record<string, unknown>, ip: string): Promise<void>;
}

export function createRateLimits(store: RateLimitStore = { kind: 'memory' }): RateLimits {
  const limit = limiters(store);
  return {
    async charge(operation, variables, ip) {
      const cost = costOf(operation, variables);
      for (const [budget, points] of cost.budgets) await spend(limit[budget], ip, points);
      for (const n of cost.lookedUp) await spend(limit.perTicket, n, 1);
    },
  };
}

/** Over HTTP: charged once the operation is known, before it runs. */
export function rateLimitPlugin(limits: RateLimits): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue, request }) {
          if (operation) await limits.charge(operation, request.variables ?? {}, contextValue.ip);
        },
      };
    },
  };
}
