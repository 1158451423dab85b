// The SDK's agent operations against a live API: internal notes,
// assignment, and listTickets walking a listing page by page.
import { createClient, ticketPages, ValidationError, type TicketClient } from '../src';
import { AGENT_TOKEN, startTestApi, withDocumentText, type TestApi } from '../../api/test/support/api';

let api: TestApi;
let agent: TicketClient;
/** Listing requests the agent client sent. */
let listings = 0;
beforeAll(async () => {
  api = await startTestApi('sdk_agent');
  await api.reset();
  const counting: typeof fetch = (url, init) => {
    // The SDK sends a trusted document's id: read its text to know the operation.
    if (withDocumentText(String(init?.body ?? '')).includes('query Tickets(')) listings++;
    return fetch(url, init);
  };
  agent = createClient({ url: api.url, token: AGENT_TOKEN, fetch: counting });
});
afterAll(async () => {
  await api.stop();
});

const input = (i: number) => ({
  customerEmail: `c${i}@example.com`,
  subject: `Ticket ${i}`,
  description: 'Something broke.',
});

it('adds an internal note and assigns, typed; the customer sees neither', async () => {
  const customer = createClient({ url: api.url });
  const t = await customer.createTicket(input(0));
  const noted = await agent.addInternalNote({ ticketNumber: t.ticketNumber, message: 'Known issue #12.' });
  expect(noted.timeline.at(-1)).toMatchObject({
    kind: 'INTERNAL_NOTE',
    visibility: 'INTERNAL',
    message: 'Known issue #12.',
  });
  const assigned = await agent.assignTicket({ ticketNumber: t.ticketNumber, assignee: 'grace' });
  expect(assigned.assignee).toBe('grace');
  expect((await agent.assignTicket({ ticketNumber: t.ticketNumber, assignee: null })).assignee).toBeNull();
  const err = await agent.assignTicket({ ticketNumber: t.ticketNumber, assignee: ' ' }).catch((e) => e);
  expect(err).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).fields.map((f) => f.field)).toEqual(['assignee']);
  const tracked = await customer.trackTicket({ ticketNumber: t.ticketNumber, email: 'c0@example.com' });
  expect(tracked!.timeline.map((e) => e.kind)).toEqual(['CREATED']);
  expect(tracked!.assignee).toBeNull();
});

it('listTickets walks every page, newest first, fetching each only when asked', async () => {
  const customer = createClient({ url: api.url });
  for (let i = 1; i <= 7; i++) await customer.createTicket(input(i));
  listings = 0;
  const sizes: number[] = [];
  for await (const page of agent.listTickets({ first: 3 })) sizes.push(page.edges.length);
  expect(sizes).toEqual([3, 3, 2]); // 8 tickets in all
  expect(listings).toBe(3);

  const subjects: string[] = [];
  for await (const t of agent.listTickets({ first: 3, filter: { status: ['OPEN'] } }).items()) subjects.push(t.subject);
  expect(subjects).toEqual([
    'Ticket 7',
    'Ticket 6',
    'Ticket 5',
    'Ticket 4',
    'Ticket 3',
    'Ticket 2',
    'Ticket 1',
    'Ticket 0',
  ]);

  listings = 0;
  for await (const page of agent.listTickets({ first: 3 })) {
    expect(page.edges).toHaveLength(3);
    break;
  }
  expect(listings).toBe(1); // stopped early: nothing more fetched
});

it('ticketPages ends on the page that says there is no next one', async () => {
  const last = { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
  const seen = [];
  for await (const p of ticketPages(async () => last)) seen.push(p);
  expect(seen).toHaveLength(1);
});
