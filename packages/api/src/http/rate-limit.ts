// Per-client budgets, by kind of operation: public creation and lookups
// tight, agent work looser; charged per root field the operation RUNS
// (operation-plan.ts), so aliases and fragments cost too.
// Failed ticket lookups (wrong email or unknown number, treated alike) are
// also limited per ticket number: per number and address, and per number
// from all addresses, so guessing a known number's email stays bounded
// while one address cannot use up what the owner needs. Once a number's
// failures from all addresses are spent, an address that has not found
// that number before gets the answer a wrong email gets (nothing runs), so
// a stranger learns nothing of others' guesses, and an address that has
// found it keeps working.
// Documents that fail to parse or validate spend a budget of their own;
// once it is spent, the address's documents are refused before parsing.
// In memory for one process; RATE_LIMIT_STORE=mongo shares the budgets
// between processes through the same MongoDB.
import ipaddr from 'ipaddr.js';
import type { Connection } from 'mongoose';
import { RateLimiterMemory, RateLimiterMongo, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimited } from '../errors/api-errors';
import { database } from '../db/database';
import type { LookupCharge } from '../graphql/context';
import type { OperationPlan } from './operation-plan';
import { LOOKUP_FIELDS } from './query-limits';

export type Budget =
  'create' | 'lookup' | 'agent' | 'other' | 'invalid' | 'guessFromAddress' | 'guessFromAll' | 'finders' | 'uploadBytes';

/** Points and window (seconds) of each budget. */
export const BUDGETS: Record<Budget, { points: number; duration: number }> = {
  create: { points: 20, duration: 60 },
  lookup: { points: 60, duration: 60 },
  agent: { points: 600, duration: 60 },
  other: { points: 300, duration: 60 },
  /** KiB of uploads an address may ask for (createUpload's size): 100 MiB an hour. */
  uploadBytes: { points: 100 * 1024, duration: 60 * 60 },
  /** Documents that fail to parse or validate, or whose variables do not coerce. */
  invalid: { points: 30, duration: 60 },
  /** Failed lookups of one ticket number from one address (IPv6: its /64). */
  guessFromAddress: { points: 10, duration: 60 * 60 },
  /** Failed lookups of one ticket number from all addresses together. */
  guessFromAll: { points: 50, duration: 60 * 60 },
  /**
   * Not a budget: which addresses found a number (a record per number and
   * address), for 7 days (the memory store's timers cannot count past 24.8 days).
   */
  finders: { points: 1, duration: 7 * 24 * 60 * 60 },
};

/** Root fields that spend no budget: reading one's own budget costs nothing (GitHub's rateLimit alike). */
export const FREE_FIELDS: ReadonlySet<string> = new Set(['rateLimit']);

export const BUDGET_OF_FIELD: Record<string, Budget> = {
  createTicket: 'create',
  replyAsCustomer: 'create',
  createUpload: 'create',
  trackTicket: 'lookup',
  ticketTimeline: 'lookup',
  respondToTicket: 'agent',
  updateTicketStatus: 'agent',
  resolveTicket: 'agent',
  addInternalNote: 'agent',
  assignTicket: 'agent',
  // Token holders' reads share the agents' budget.
  ticket: 'agent',
  node: 'agent',
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
  replayWebhook: 'agent',
  // Token holders' work too; an erasure is heavy, the agents' budget bounds it.
  customerData: 'agent',
  eraseCustomer: 'agent',
  // A bulk job is many tickets' changes: charged by its size (bulkPoints).
  startBulkChange: 'agent',
};

/** Agent points of a bulk job over a list: 1 per 10 tickets (a view's size is known only later: 1). */
export function bulkPoints(ticketNumbers: unknown): number {
  const n = Array.isArray(ticketNumbers) ? ticketNumbers.length : 0;
  return Math.min(Math.max(1, Math.ceil(n / 10)), BUDGETS.agent.points);
}

/**
 * The key a publicly looked-up ticket number is counted under, or null for
 * a number no ticket can have (refused before any email is compared: no
 * guess, nothing kept for it). The tickets' rule, lent by compose.ts.
 */
export type LookupKey = (ticketNumber: string) => string | null;

/** What a plan costs: points per budget, and the ticket numbers it looks up publicly (by their LookupKey). */
export function costOf(
  plan: OperationPlan,
  lookupKey: LookupKey,
): { budgets: Map<Budget, number>; lookedUp: string[] } {
  const budgets = new Map<Budget, number>();
  const lookedUp: string[] = [];
  for (const field of plan.rootFields) {
    if (FREE_FIELDS.has(field.name)) continue;
    const budget = BUDGET_OF_FIELD[field.name] ?? 'other';
    const points = field.name === 'startBulkChange' ? bulkPoints(field.args.ticketNumbers) : 1;
    budgets.set(budget, (budgets.get(budget) ?? 0) + points);
    if (field.name === 'createUpload')
      budgets.set('uploadBytes', (budgets.get('uploadBytes') ?? 0) + uploadKiB(field.args.size));
    const n = field.args.ticketNumber;
    const key = LOOKUP_FIELDS.has(field.name) && typeof n === 'string' ? lookupKey(n) : null;
    if (key !== null) lookedUp.push(key);
  }
  return { budgets, lookedUp };
}

/** What a createUpload's size costs in KiB (rounded up); a size no budget could pay costs the whole budget, nothing more. */
function uploadKiB(size: unknown): number {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) return 0;
  return Math.min(Math.ceil(size / 1024), BUDGETS.uploadBytes.points);
}

/** The key of a client address: IPv4 as is, IPv6 by its /64 (one site's, one customer's usual allocation). */
export function addressKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}

/** Where RATE_LIMIT_STORE=mongo keeps the budgets (rate-limiter-flexible's RateLimiterMongo). */
const RATE_LIMIT_COLLECTION = 'rate_limits';

export type RateLimitStore = { kind: 'memory' } | { kind: 'mongo'; connection: Connection };

function limiters(store: RateLimitStore): Record<Budget, RateLimiterAbstract> {
  const make = (budget: Budget): RateLimiterAbstract => {
    const opts = { keyPrefix: `rl_${budget}`, ...BUDGETS[budget] };
    return store.kind === 'mongo'
      ? new RateLimiterMongo({ ...opts, storeClient: store.connection, tableName: RATE_LIMIT_COLLECTION })
      : new RateLimiterMemory(opts);
  };
  return Object.fromEntries((Object.keys(BUDGETS) as Budget[]).map((b) => [b, make(b)])) as Record<
    Budget,
    RateLimiterAbstract
  >;
}

const retryAfterOf = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/** One budget as the store counts it for one address, after (or without) this request's charge. */
export interface BudgetState {
  budget: Budget;
  /** Points this request charged to it (0 when it only looks). */
  requested: number;
  limit: number;
  remaining: number;
  /** When the window ends and the budget is whole again (whole seconds). */
  resetAt: Date;
  /** This request was refused (429) for this budget. */
  refused: boolean;
}

/** Where a request's charges are told (http/cost.ts's CostMeter). */
export interface CostRecorder {
  record(state: BudgetState): void;
}

/** A store's answer as a budget state; no answer (nothing spent in this window) is a whole budget. */
export function stateOf(budget: Budget, requested: number, res: RateLimiterRes | null, refused = false): BudgetState {
  const { points: limit, duration } = BUDGETS[budget];
  const ms = res ? Math.max(0, res.msBeforeNext) : duration * 1000;
  return {
    budget,
    requested,
    limit,
    remaining: refused ? 0 : Math.max(0, limit - (res?.consumedPoints ?? 0)),
    resetAt: new Date(Math.ceil((Date.now() + ms) / 1000) * 1000),
    refused,
  };
}

/** The budget state behind a RATE_LIMITED refusal, for its headers and extensions.cost. */
const refusals = new WeakMap<object, BudgetState>();
export const refusalState = (err: unknown): BudgetState | undefined =>
  err && typeof err === 'object' ? refusals.get(err) : undefined;

function refuse(budget: Budget, requested: number, res: RateLimiterRes, meter: CostRecorder | undefined): never {
  const state = stateOf(budget, requested, res, true);
  meter?.record(state);
  const err = rateLimited(retryAfterOf(res));
  refusals.set(err, state);
  throw err;
}

async function spend(
  limiter: RateLimiterAbstract,
  budget: Budget,
  key: string,
  points: number,
  meter?: CostRecorder,
): Promise<void> {
  let res: RateLimiterRes;
  try {
    res = await limiter.consume(key, points);
  } catch (res) {
    if (!(res instanceof RateLimiterRes)) throw res; // the store failed: let the error mapper decide
    refuse(budget, points, res, meter);
  }
  meter?.record(stateOf(budget, points, res));
}

/** The budgets of one deployment. */
export interface RateLimits {
  /** Charge a plan to its client before it runs; the lookups it charged, to refund those that succeed. Each budget charged is told to `meter`. */
  charge(plan: OperationPlan, ip: string, meter?: CostRecorder): Promise<LookupCharge>;
  /** A document that failed to parse or validate, or whose variables did not coerce. */
  chargeInvalid(ip: string, meter?: CostRecorder): Promise<void>;
  /** Throws RATE_LIMITED when this address has spent its invalid-document budget. */
  refuseIfSpent(ip: string, meter?: CostRecorder): Promise<void>;
  /** A budget of this address as it stands, charging nothing. */
  peek(budget: Budget, ip: string): Promise<BudgetState>;
}

export function createRateLimits(lookupKey: LookupKey, store: RateLimitStore = { kind: 'memory' }): RateLimits {
  const limit = limiters(store);
  const isFinder = async (key: string) => ((await limit.finders.get(key))?.consumedPoints ?? 0) > 0;
  /**
   * A failed-lookup point of one number, taken before the lookup runs:
   * 'all' when charged to both budgets, 'own' when the number's budget is
   * spent but this address has found it before, 'suppressed' when it is
   * spent and this address has not (the lookup answers as a miss).
   */
  async function spendGuess(n: string, address: string, meter?: CostRecorder): Promise<'all' | 'own' | 'suppressed'> {
    const key = `${n}|${address}`;
    await spend(limit.guessFromAddress, 'guessFromAddress', key, 1, meter); // this address's own guesses: RATE_LIMITED tells it only of itself
    try {
      await limit.guessFromAll.consume(n, 1);
      return 'all';
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) {
        await limit.guessFromAddress.reward(key, 1).catch(() => {});
        throw res;
      }
      return (await isFinder(key)) ? 'own' : 'suppressed';
    }
  }
  return {
    async charge(plan, ip, meter) {
      const address = addressKey(ip);
      const cost = costOf(plan, lookupKey);
      for (const [budget, points] of cost.budgets) await spend(limit[budget], budget, address, points, meter);
      // Consumed up front, so concurrent guesses cannot overshoot; refunded when a lookup finds its ticket.
      const charged = new Map<string, ('all' | 'own')[]>();
      const suppressed = new Set<string>();
      for (const n of cost.lookedUp) {
        const outcome = await spendGuess(n, address, meter);
        if (outcome === 'suppressed') suppressed.add(n);
        else charged.set(n, [...(charged.get(n) ?? []), outcome]);
      }
      return {
        suppressed: (raw: string) => suppressed.has(lookupKey(raw) ?? ''),
        refund(raw: string, found: boolean) {
          const n = lookupKey(raw);
          const outcome = n === null ? undefined : charged.get(n)?.pop();
          if (n === null || !outcome) return;
          const key = `${n}|${address}`;
          // Best effort: a store failure only means the point expires with its window.
          const rewards = [limit.guessFromAddress.reward(key, 1)];
          if (outcome === 'all') rewards.push(limit.guessFromAll.reward(n, 1));
          if (found) rewards.push(limit.finders.penalty(key, 1));
          void Promise.all(rewards).catch(() => {});
        },
      };
    },
    async chargeInvalid(ip, meter) {
      // Never fails the request: a store outage shows on the operation itself.
      const res = await limit.invalid.penalty(addressKey(ip), 1).catch(() => null);
      if (res) meter?.record(stateOf('invalid', 1, res));
    },
    async refuseIfSpent(ip, meter) {
      const res = await limit.invalid.get(addressKey(ip));
      if (res && res.consumedPoints >= BUDGETS.invalid.points) refuse('invalid', 0, res, meter);
    },
    async peek(budget, ip) {
      return stateOf(budget, 0, await limit[budget].get(addressKey(ip)));
    },
  };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Erasure's part here (an eraser, customers/eraser.ts, once compose.ts
 * tells it the numbers of the tickets erased): the shared store's records
 * of who looked these ticket numbers up (failed lookups and finders, keyed
 * by number and address). The memory store's records live in each process
 * and expire with their window (at most 7 days) or the process.
 */
export const rateLimitEraser = <Id>(
  numbersOf: (ticketIds: readonly Id[]) => Promise<readonly string[]>,
  lookupKey: LookupKey,
): { name: string; erase(ticketIds: readonly Id[]): Promise<number> } => ({
  name: 'rate-limit records',
  async erase(ticketIds) {
    const numbers = (await numbersOf(ticketIds)).flatMap((n) => lookupKey(n) ?? []);
    if (!numbers.length) return 0;
    const byAddress = new RegExp(`^rl_(guessFromAddress|finders):(${numbers.map(escapeRegExp).join('|')})\\|`);
    const res = await database()
      .collection(RATE_LIMIT_COLLECTION)
      .deleteMany({ $or: [{ key: { $in: numbers.map((n) => `rl_guessFromAll:${n}`) } }, { key: byAddress }] });
    return res.deletedCount;
  },
});
