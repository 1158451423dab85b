// Cost on every answer: extensions.cost and the X-RateLimit-* headers tell
// the budget the store charged, request by request, down to the 429 that
// the same numbers predict; over WebSocket each result carries the same;
// `rateLimit` reads a budget for free, even once it is spent.
import WebSocket from 'ws';
import { createClient as createWsClient, type Client } from 'graphql-ws';
import { BUDGETS } from '../../src/http/rate-limit';
import { AGENT_TOKEN, codeOf, startTestApi, type TestApi } from '../support/api';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('cost', { RATE_LIMIT: 'on', TRUST_PROXY: 'true' });
});
afterAll(async () => {
  await api.stop();
});

let addressSeq = 0;
/** A client address no other test has used: its budgets start full. */
const fresh = () => `2001:db8:c0:${(++addressSeq).toString(16)}::1`;

/** Three lookups of numbers nobody has (the most one request may hold), distinct per call so no per-number guard refuses first. */
let numberSeq = 10_000;
const threeLookups = () =>
  [1, 2, 3]
    .map((i) => `l${i}: trackTicket(ticketNumber: "TKT-${++numberSeq}", email: "x@example.com") { id }`)
    .join(' ');
const RATE = 'rateLimit { budget cost limit remaining resetAt }';

async function post(ip: string, query: string, headers: Record<string, string> = {}) {
  const r = await fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

/** The headers as the extension's shape, to compare the two. */
const fromHeaders = (h: Headers) => ({
  limit: Number(h.get('x-ratelimit-limit')),
  remaining: Number(h.get('x-ratelimit-remaining')),
  reset: Number(h.get('x-ratelimit-reset')),
  budget: h.get('x-ratelimit-resource'),
});
const fromExtension = (c: { limit: number; remaining: number; resetAt: string; budget: string }) => ({
  limit: c.limit,
  remaining: c.remaining,
  reset: Date.parse(c.resetAt) / 1000,
  budget: c.budget,
});

describe('cost over HTTP', () => {
  it('tells each answer what it spent and what remains, the same in headers, down to the 429', async () => {
    const ip = fresh();
    const { points } = BUDGETS.lookup;
    // A free look first: the whole budget, nothing spent.
    const first = await post(ip, `{ ${RATE} }`);
    expect(first.body.data.rateLimit).toMatchObject({ budget: 'LOOKUP', cost: 0, limit: points, remaining: points });
    expect(first.body.extensions.cost).toMatchObject({
      budget: 'lookup',
      requested: 0,
      limit: points,
      remaining: points,
    });
    let expected = points;
    while (expected >= 3) {
      const r = await post(ip, `{ ${threeLookups()} ${RATE} }`);
      expected -= 3;
      expect(codeOf(r as never)).toBeUndefined();
      expect(r.body.extensions.cost).toMatchObject({
        budget: 'lookup',
        requested: 3,
        limit: points,
        remaining: expected,
      });
      expect(fromHeaders(r.headers)).toEqual(fromExtension(r.body.extensions.cost));
      // The root field reads the same numbers, its own cost included in what the request charged.
      expect(r.body.data.rateLimit).toEqual({
        budget: 'LOOKUP',
        cost: 3,
        limit: points,
        remaining: expected,
        resetAt: r.body.extensions.cost.resetAt,
      });
      // rateLimit alone is free: nothing moves.
      const look = await post(ip, `{ ${RATE} }`);
      expect(look.body.data.rateLimit).toMatchObject({ cost: 0, remaining: expected });
    }
    // What remains is less than three lookups: the headers said so, and the store refuses.
    const spent = await post(ip, `{ ${threeLookups()} }`);
    expect(spent.status).toBe(429);
    expect(codeOf(spent as never)).toBe('RATE_LIMITED');
    expect(spent.body.extensions.cost).toMatchObject({ budget: 'lookup', requested: 3, limit: points, remaining: 0 });
    expect(fromHeaders(spent.headers)).toEqual(fromExtension(spent.body.extensions.cost));
    expect(spent.headers.get('retry-after')).toBe(String(spent.body.errors[0].extensions.retryAfter));
    // Reset and Retry-After describe one window: both within the budget's duration from now.
    const reset = Number(spent.headers.get('x-ratelimit-reset'));
    expect(reset * 1000).toBeGreaterThan(Date.now() - 1000);
    expect(reset * 1000).toBeLessThanOrEqual(Date.now() + BUDGETS.lookup.duration * 1000 + 1000);
    // Still free once spent.
    const after = await post(ip, `{ ${RATE} }`);
    expect(after.status).toBe(200);
    expect(after.body.data.rateLimit).toMatchObject({ budget: 'LOOKUP', cost: 0, remaining: 0 });
    // Another budget is another story, and says so.
    const create = await post(ip, `{ rateLimit(budget: CREATE) { budget remaining } }`);
    expect(create.body.data.rateLimit).toEqual({ budget: 'CREATE', remaining: BUDGETS.create.points });
  });

  it("reports the agents' budget to a token holder, and charges broken documents to the invalid budget", async () => {
    const ip = fresh();
    const agentLook = await post(ip, `{ ${RATE} }`, { authorization: `Bearer ${AGENT_TOKEN}` });
    expect(agentLook.body.data.rateLimit).toMatchObject({
      budget: 'AGENT',
      limit: BUDGETS.agent.points,
      remaining: BUDGETS.agent.points,
    });
    const tickets = await post(ip, `{ tickets(first: 1) { totalCount } }`, { authorization: `Bearer ${AGENT_TOKEN}` });
    expect(tickets.body.extensions.cost).toMatchObject({
      budget: 'agent',
      requested: 1,
      remaining: BUDGETS.agent.points - 1,
    });
    const broken = await post(ip, `{ trackTicket(`);
    expect(codeOf(broken as never)).toBe('GRAPHQL_PARSE_FAILED');
    expect(broken.body.extensions.cost).toMatchObject({
      budget: 'invalid',
      requested: 1,
      limit: BUDGETS.invalid.points,
      remaining: BUDGETS.invalid.points - 1,
    });
    expect(fromHeaders(broken.headers)).toEqual(fromExtension(broken.body.extensions.cost));
  });

  it('says the same on the 429 decided before parsing (invalid budget spent)', async () => {
    const ip = fresh();
    for (let i = 0; i < BUDGETS.invalid.points; i++) await post(ip, `{ nope(`);
    const r = await post(ip, `{ ${RATE} }`);
    expect(r.status).toBe(429);
    expect(r.body.extensions.cost).toMatchObject({ budget: 'invalid', limit: BUDGETS.invalid.points, remaining: 0 });
    expect(fromHeaders(r.headers)).toEqual(fromExtension(r.body.extensions.cost));
  });
});

describe('cost over WebSocket', () => {
  const connect = (ip: string): Client => {
    class FromAddress extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: { 'x-forwarded-for': ip } });
      }
    }
    return createWsClient({
      url: api.url.replace(/^http/, 'ws'),
      webSocketImpl: FromAddress,
      retryAttempts: 0,
      lazy: true,
    });
  };
  type Outcome = { results: Record<string, any>[]; error?: Record<string, any>[] };
  const run = (client: Client, query: string) =>
    new Promise<Outcome>((resolve) => {
      const out: Outcome = { results: [] };
      client.subscribe(
        { query },
        {
          next: (v) => out.results.push(v as never),
          error: (e) => resolve({ ...out, error: e as never }),
          complete: () => resolve(out),
        },
      );
    });

  it('puts the same extensions.cost on each result, and on the refusal', async () => {
    const client = connect(fresh());
    try {
      const { points } = BUDGETS.lookup;
      let expected = points;
      while (expected >= 3) {
        const r = await run(client, `{ ${threeLookups()} ${RATE} }`);
        expected -= 3;
        expect(r.error).toBeUndefined();
        expect(r.results).toHaveLength(1);
        expect(r.results[0].extensions.cost).toMatchObject({
          budget: 'lookup',
          requested: 3,
          limit: points,
          remaining: expected,
        });
        expect(r.results[0].data.rateLimit).toMatchObject({
          budget: 'LOOKUP',
          cost: 3,
          remaining: expected,
          resetAt: r.results[0].extensions.cost.resetAt,
        });
      }
      const refused = await run(client, `{ ${threeLookups()} }`);
      expect(refused.error?.[0].extensions.code).toBe('RATE_LIMITED');
      expect(refused.error?.[0].extensions.cost).toMatchObject({
        budget: 'lookup',
        requested: 3,
        limit: points,
        remaining: 0,
      });
      // Free over WebSocket too.
      const look = await run(client, `{ ${RATE} }`);
      expect(look.results[0].data.rateLimit).toMatchObject({ cost: 0, remaining: 0 });
      expect(look.results[0].extensions.cost).toMatchObject({ budget: 'lookup', requested: 0, remaining: 0 });
    } finally {
      await client.dispose();
    }
  });
});
