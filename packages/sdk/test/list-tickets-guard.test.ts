// listTickets against a server that paginates wrongly (a fake fetch plays
// it): "more" without a cursor, or a cursor it gave before, fails with
// NetworkError after a bounded number of requests instead of looping forever.
import { createClient, NetworkError, type TicketPage } from '../src';

type PageInfo = TicketPage['pageInfo'];
const node = (i: number) => ({ id: `id-${i}`, ticketNumber: `TKT-${String(i).padStart(5, '0')}` });

/** A fetch answering every Tickets query with the next of `pages`, and counting. */
function server(pages: PageInfo[]) {
  const afters: (string | null)[] = [];
  const fetch: typeof globalThis.fetch = async (_url, init) => {
    const { variables } = JSON.parse(String(init!.body));
    afters.push(variables.after ?? null);
    const pageInfo = pages[Math.min(afters.length - 1, pages.length - 1)];
    const body = {
      data: { tickets: { edges: [{ cursor: 'c', node: node(afters.length) }], pageInfo, totalCount: 99 } },
    };
    return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
  };
  return { client: createClient({ url: 'http://tickets.invalid/graphql', token: 'x', fetch }), afters };
}

async function walk(pages: AsyncIterable<unknown>): Promise<{ count: number; error: unknown }> {
  let count = 0;
  try {
    for await (const _ of pages) if (++count > 50) throw new Error('still walking after 50 pages');
  } catch (error) {
    return { count, error };
  }
  return { count, error: null };
}

it('fails when the server repeats the endCursor it just gave', async () => {
  const { client, afters } = server([
    { hasNextPage: true, endCursor: 'A' },
    { hasNextPage: true, endCursor: 'A' },
  ]);
  const { count, error } = await walk(client.listTickets({ first: 1 }));
  expect(error).toBeInstanceOf(NetworkError);
  expect((error as Error).message).toMatch(/repeated an endCursor/);
  expect(count).toBe(2);
  expect(afters).toEqual([null, 'A']);
});

it('fails when the server cycles back to an earlier endCursor', async () => {
  const { client, afters } = server([
    { hasNextPage: true, endCursor: 'A' },
    { hasNextPage: true, endCursor: 'B' },
    { hasNextPage: true, endCursor: 'A' },
  ]);
  const { error } = await walk(client.listTickets({ first: 1 }).items());
  expect(error).toBeInstanceOf(NetworkError);
  expect(afters).toEqual([null, 'A', 'B']);
});

it('fails when the server says there is a next page but gives no endCursor', async () => {
  const { client, afters } = server([{ hasNextPage: true, endCursor: null }]);
  const { count, error } = await walk(client.listTickets({ first: 1 }));
  expect(error).toBeInstanceOf(NetworkError);
  expect((error as Error).message).toMatch(/no endCursor/);
  expect([count, afters]).toEqual([1, [null]]);
});

it('fails when the first page hands back the cursor the walk started after', async () => {
  const { client } = server([{ hasNextPage: true, endCursor: 'S' }]);
  expect((await walk(client.listTickets({ first: 1, after: 'S' }))).error).toBeInstanceOf(NetworkError);
});

it('walks a well-behaved listing to its end', async () => {
  const { client, afters } = server([
    { hasNextPage: true, endCursor: 'A' },
    { hasNextPage: true, endCursor: 'B' },
    { hasNextPage: false, endCursor: 'C' },
  ]);
  expect(await walk(client.listTickets({ first: 1 }))).toEqual({ count: 3, error: null });
  expect(afters).toEqual([null, 'A', 'B']);
});
