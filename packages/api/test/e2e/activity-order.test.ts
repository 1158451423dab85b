// tickets(orderBy: UPDATED_DESC): last activity first, keyset pages, cursors of one order only.
import { CREATE, RESPOND, agent, codeOf, startTestApi, ticketInput, type TestApi } from '../support/api';

const LIST = `query($o: TicketOrder, $first: Int, $after: String, $f: TicketFilter) { tickets(orderBy: $o, first: $first, after: $after, filter: $f) { edges { node { ticketNumber updatedAt } } pageInfo { hasNextPage endCursor } } }`;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('activity');
  await api.reset();
});
afterAll(async () => {
  await api.stop();
});

it("orders by last activity, pages without repeats, refuses another order's cursor", async () => {
  const made: string[] = [];
  for (let i = 0; i < 4; i++)
    made.push((await api.gql<any>(CREATE, { input: ticketInput() })).body.data.createTicket.ticketNumber);
  // Activity on the oldest, then the second: they come first, most recent first.
  await new Promise((r) => setTimeout(r, 5));
  expect((await api.gql(RESPOND, { n: made[0], m: 'On it' }, agent)).body.errors).toBeUndefined();
  await new Promise((r) => setTimeout(r, 5));
  expect((await api.gql(RESPOND, { n: made[1], m: 'On it too' }, agent)).body.errors).toBeUndefined();
  const seen: string[] = [];
  let after: string | null = null;
  for (;;) {
    const r: any = await api.gql<any>(LIST, { o: 'UPDATED_DESC', first: 1, after, f: { status: ['OPEN'] } }, agent);
    expect(r.body.errors).toBeUndefined();
    seen.push(...r.body.data.tickets.edges.map((e: { node: { ticketNumber: string } }) => e.node.ticketNumber));
    if (!r.body.data.tickets.pageInfo.hasNextPage) break;
    after = r.body.data.tickets.pageInfo.endCursor;
  }
  expect(seen).toEqual([made[1], made[0], made[3], made[2]]);
  const created = await api.gql<any>(LIST, { o: 'CREATED_DESC', first: 1 }, agent);
  const wrong = await api.gql<any>(
    LIST,
    { o: 'UPDATED_DESC', first: 1, after: created.body.data.tickets.pageInfo.endCursor },
    agent,
  );
  expect(codeOf(wrong)).toBe('BAD_USER_INPUT');
});
