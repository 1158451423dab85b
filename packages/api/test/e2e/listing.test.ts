// `tickets` and `ticket` for integrators: filters, orders, page bounds,
// cursors, a walk that stays exact while tickets are created, and (on a
// real MongoDB) the index behind every filter.
import mongoose from 'mongoose';
import { ApiTokenModel } from '../../src/tokens/api-token.model';
import { filterQuery } from '../../src/listing/listing.service';
import { TicketModel } from '../../src/tickets/ticket.model';
import { CREATE, RESOLVE, STATUS, agent, codeOf, startTestApi, ticketInput, type TestApi } from '../support/api';

const LIST = `query($filter: TicketFilter, $orderBy: TicketOrder, $first: Int, $after: String) {
  tickets(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges { cursor node { ticketNumber status priority source customerEmail createdAt updatedAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const COUNT = `query($filter: TicketFilter) { tickets(filter: $filter, first: 1) { totalCount } }`;

type Node = {
  ticketNumber: string;
  status: string;
  priority: string;
  source: string;
  customerEmail: string;
  createdAt: string;
  updatedAt: string;
};
type Page = { edges: { cursor: string; node: Node }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('listing');
});
afterAll(async () => {
  await api.stop();
});

async function list(variables: Record<string, unknown>): Promise<Page> {
  const r = await api.gql<{ tickets: Page }>(LIST, variables, agent);
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data!.tickets;
}

/** Every ticket matching, following pages to the end. */
async function walk(variables: Record<string, unknown>, onPage?: () => Promise<void>): Promise<Node[]> {
  const all: Node[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Page = await list({ ...variables, after });
    all.push(...page.edges.map((e) => e.node));
    await onPage?.();
    if (!page.pageInfo.hasNextPage) return all;
    after = page.pageInfo.endCursor;
  }
}

describe('ticket and tickets', () => {
  const made: Node[] = [];
  beforeAll(async () => {
    await api.reset();
    const shapes = [
      { priority: 'LOW', source: 'WEB' },
      { priority: 'HIGH', source: 'CHAT' },
      { priority: 'URGENT', source: 'EMAIL' },
      { priority: 'NORMAL', source: 'API' },
      { priority: 'HIGH', source: 'WEB' },
      { priority: 'LOW', source: 'CHAT' },
    ];
    for (let i = 0; i < 12; i++) {
      const input = ticketInput({
        ...shapes[i % shapes.length],
        customerEmail: i % 4 === 0 ? 'Repeat.Customer@Example.com' : `c${i}@example.com`,
      });
      made.push((await api.gql(CREATE, { input })).body.data!.createTicket);
    }
    await api.gql(STATUS, { n: made[1].ticketNumber, s: 'IN_PROGRESS' }, agent);
    await api.gql(RESOLVE, { n: made[2].ticketNumber, r: 'done' }, agent);
  });

  it('ticket: by number (any case), null when unknown', async () => {
    const q = `query($n: String!) { ticket(ticketNumber: $n) { ticketNumber customerEmail } }`;
    expect((await api.gql(q, { n: made[3].ticketNumber.toLowerCase() }, agent)).body.data!.ticket.ticketNumber).toBe(
      made[3].ticketNumber,
    );
    expect((await api.gql(q, { n: 'TKT-99999999' }, agent)).body.data!.ticket).toBeNull();
    expect(codeOf(await api.gql(q, { n: 'not a number' }, agent))).toBe('BAD_USER_INPUT');
  });

  it('lists newest first by default, oldest first on request, and totals only when asked', async () => {
    const numbers = made.map((t) => t.ticketNumber);
    expect((await walk({ first: 5 })).map((t) => t.ticketNumber)).toEqual([...numbers].reverse());
    expect((await walk({ first: 5, orderBy: 'CREATED_ASC' })).map((t) => t.ticketNumber)).toEqual(numbers);
    expect((await api.gql(COUNT, {}, agent)).body.data!.tickets.totalCount).toBe(12);
    const empty = await list({ filter: { customerEmail: 'nobody@example.com' } });
    expect(empty).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it.each([
    ['status', { status: ['IN_PROGRESS', 'RESOLVED'] }, (t: Node) => ['IN_PROGRESS', 'RESOLVED'].includes(t.status)],
    ['priority', { priority: ['HIGH'] }, (t: Node) => t.priority === 'HIGH'],
    ['source', { source: ['CHAT', 'EMAIL'] }, (t: Node) => ['CHAT', 'EMAIL'].includes(t.source)],
    [
      'customerEmail (any case, trimmed)',
      { customerEmail: '  REPEAT.customer@example.COM ' },
      (t: Node) => t.customerEmail === 'repeat.customer@example.com',
    ],
    [
      'several at once',
      { priority: ['LOW', 'HIGH'], source: ['CHAT'] },
      (t: Node) => ['LOW', 'HIGH'].includes(t.priority) && t.source === 'CHAT',
    ],
  ])('filters by %s', async (_name, filter, expected) => {
    // What the unfiltered listing says now (statuses changed after creation).
    const stored = (await walk({ first: 100 })).filter(expected as (t: Node) => boolean).map((t) => t.ticketNumber);
    expect(stored.length).toBeGreaterThan(0);
    const got = (await walk({ filter, first: 2 })).map((t) => t.ticketNumber);
    expect(got).toEqual(stored);
    expect((await api.gql(COUNT, { filter }, agent)).body.data!.tickets.totalCount).toBe(stored.length);
  });

  it('filters by time: createdAfter (>=), createdBefore (<), updatedAfter (>=)', async () => {
    const asc = await walk({ orderBy: 'CREATED_ASC', first: 100 });
    const pivot = asc[5].createdAt;
    const after = await walk({ filter: { createdAfter: pivot }, orderBy: 'CREATED_ASC', first: 100 });
    expect(after.map((t) => t.ticketNumber)).toEqual(
      asc.filter((t) => t.createdAt >= pivot).map((t) => t.ticketNumber),
    );
    const before = await walk({ filter: { createdBefore: pivot }, orderBy: 'CREATED_ASC', first: 100 });
    expect(before.map((t) => t.ticketNumber)).toEqual(
      asc.filter((t) => t.createdAt < pivot).map((t) => t.ticketNumber),
    );
    const latestUpdate = [...asc].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
    const updated = await walk({ filter: { updatedAfter: latestUpdate.updatedAt }, first: 100 });
    expect(updated.map((t) => t.ticketNumber)).toEqual(
      asc
        .filter((t) => t.updatedAt >= latestUpdate.updatedAt)
        .reverse()
        .map((t) => t.ticketNumber),
    );
  });

  it('refuses bad bounds, foreign cursors and empty lists, naming the field', async () => {
    const fieldOf = async (v: Record<string, unknown>) => {
      const r = await api.gql(LIST, v, agent);
      expect(codeOf(r)).toBe('BAD_USER_INPUT');
      return r.body.errors![0].extensions.fields.map((f: { field: string }) => f.field);
    };
    expect(await fieldOf({ first: 0 })).toEqual(['first']);
    expect(await fieldOf({ first: 101 })).toEqual(['first']);
    expect(await fieldOf({ after: 'not-a-cursor' })).toEqual(['after']);
    expect(await fieldOf({ after: Buffer.from('t1:d:1:zzzzzzzzzzzzzzzzzzzzzzzz').toString('base64url') })).toEqual([
      'after',
    ]);
    // A cursor of the other order is not one of this listing's.
    const desc = await list({ first: 1 });
    expect(await fieldOf({ after: desc.pageInfo.endCursor, orderBy: 'CREATED_ASC' })).toEqual(['after']);
    expect(await fieldOf({ filter: { status: [] } })).toEqual(['filter.status']);
    expect(await fieldOf({ filter: { customerEmail: 'nope' } })).toEqual(['filter.customerEmail']);
    expect(await fieldOf({ first: 500, after: 'x' })).toEqual(['first', 'after']);
    expect(codeOf(await api.gql(LIST, { first: 5 }))).toBe('UNAUTHENTICATED');
  });
});

describe('a walk while tickets are being created', () => {
  it('sees each of the 300 tickets that existed when it began exactly once, in order', async () => {
    await api.reset();
    for (let i = 0; i < 300; i += 30)
      await Promise.all(Array.from({ length: 30 }, () => api.gql(CREATE, { input: ticketInput() })));
    for (const orderBy of ['CREATED_DESC', 'CREATED_ASC']) {
      // The order of the tickets that exist now, walked while nothing changes.
      const before = (await walk({ orderBy, first: 100 })).map((t) => t.ticketNumber);
      const existing = new Set(before);
      // 100 more are created while the walk goes on, a few during every page.
      const creating: Promise<unknown>[] = [];
      const seen = await walk({ orderBy, first: 7 }, async () => {
        if (creating.length < 100)
          creating.push(
            ...Array.from({ length: Math.min(3, 100 - creating.length) }, () =>
              api.gql(CREATE, { input: ticketInput() }),
            ),
          );
      });
      await Promise.all(creating);
      const numbers = seen.map((t) => t.ticketNumber);
      expect(new Set(numbers).size).toBe(numbers.length); // nothing twice
      expect(numbers.filter((n) => existing.has(n))).toEqual(before); // every earlier ticket once, in the same order
      const keys = seen.map((t) => t.createdAt); // and the order holds over everything seen
      expect(keys).toEqual(orderBy === 'CREATED_ASC' ? [...keys].sort() : [...keys].sort().reverse());
    }
  }, 120_000);
});

// Real MongoDB only: the offline engine scans for every query and has no
// query planner to ask. With MONGODB_URI set, every filter and order must be
// an index scan with no in-memory sort.
const realMongo = process.env.TEST_REAL_MONGODB === '1';
if (!realMongo)
  console.warn(
    'skipped: index plans (explain) need a real MongoDB (set MONGODB_URI); the offline engine has no query planner',
  );
(realMongo ? describe : describe.skip)('index behind every filter (explain on real MongoDB)', () => {
  it.each([
    ['no filter', {}],
    ['status', { status: ['OPEN', 'RESOLVED'] }],
    ['priority', { priority: ['HIGH'] }],
    ['source', { source: ['CHAT'] }],
    ['customerEmail', { customerEmail: 'a@example.com' }],
    ['createdAfter + createdBefore', { createdAfter: new Date(0), createdBefore: new Date() }],
    ['updatedAfter', { updatedAfter: new Date(0) }],
    ['assignee', { assignee: 'ada@support.example' }],
    ['unassigned', { unassigned: true }],
  ])('%s', async (_name, filter) => {
    await TicketModel.createIndexes();
    await ApiTokenModel.createIndexes();
    const built = filterQuery(filter as never);
    if (!('query' in built)) throw new Error('bad filter');
    for (const dir of [1, -1] as const) {
      const plan = await mongoose.connection
        .db!.collection('tickets')
        .find(built.query)
        .sort({ createdAt: dir, _id: dir })
        .limit(21)
        .explain('queryPlanner');
      const text = JSON.stringify(plan.queryPlanner.winningPlan);
      expect(text).toMatch(/IXSCAN/);
      expect(text).not.toMatch(/"stage":"SORT"|COLLSCAN/);
    }
  });
});
