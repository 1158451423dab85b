// A page of tickets with their timelines costs a bounded number of database
// commands, not one per ticket: the driver's own command events count them
// while the real API (in-process, over HTTP) answers. And the batched
// timelines are the ones each ticket's own lookup gives, in the same order.
import { FeedBatchModel } from '../../src/feed/feed-batch.model';
import { TimelineEventModel } from '../../src/tickets/timeline-event.model';
import { CREATE, RESOLVE, RESPOND, agent, engineUri, startTestApi, ticketInput, type TestApi } from '../support/api';
import { collectionOf, commandsOfRequests, monitoredUri } from '../support/commands';

const TICKETS = 100;
/** The listing's find, the events' find, and the driver's getMore(s) for a few hundred events. */
const MAX_COMMANDS_PER_LISTING_PAGE = 5;
/** The feed's reads (batches, events, tickets), then the same events' find and getMore(s). */
const MAX_COMMANDS_PER_FEED_PAGE = 8;

const EVENT = 'id kind at message actor';
const LIST = `query($first: Int) { tickets(first: $first) { edges { node { ticketNumber timeline { ${EVENT} } } } } }`;
const ONE = `query($n: String!) { ticket(ticketNumber: $n) { ticketNumber timeline { ${EVENT} } } }`;
const CHANGES = `query($first: Int, $after: String) { ticketChanges(first: $first, after: $after) { changes { event { id } ticket { ticketNumber timeline { ${EVENT} } } } endCursor hasMore } }`;

type Event = { id: string; kind: string; at: string; message: string | null; actor: string | null };
type Node = { ticketNumber: string; timeline: Event[] };

/** The commands the requests `fn` sends (with the headers it is given) start, as "find ticket_events". */
async function commandsOf(fn: (headers: Record<string, string>) => Promise<unknown>): Promise<string[]> {
  return (await commandsOfRequests(fn)).map((e) => `${e.commandName} ${collectionOf(e)}`);
}

let api: TestApi;
const numbers: string[] = [];

beforeAll(async () => {
  api = await startTestApi('timeline_batching', {}, monitoredUri(engineUri()));
  await api.reset();
  // 100 tickets, four shapes of timeline: just created; answered; answered
  // twice; resolved (RESOLVED and RESOLUTION_NOTE share one instant, so
  // their order comes from the tie rule).
  for (let i = 0; i < TICKETS; i += 10) {
    const made = await Promise.all(Array.from({ length: 10 }, () => api.gql(CREATE, { input: ticketInput() })));
    await Promise.all(
      made.map(async (r, j) => {
        const n: string = r.body.data!.createTicket.ticketNumber;
        numbers.push(n);
        const shape = (i + j) % 4;
        if (shape >= 1) await api.gql(RESPOND, { n, m: `first answer to ${n}` }, agent);
        if (shape === 2) await api.gql(RESPOND, { n, m: `second answer to ${n}` }, agent);
        if (shape === 3) await api.gql(RESOLVE, { n, r: `fixed ${n}` }, agent);
      }),
    );
  }
  // Let the feed's sequencer place every event and finish its batches: the feed's pages below read them all.
  const settled = async () =>
    (await TimelineEventModel.countDocuments({ pending: true })) === 0 &&
    (await FeedBatchModel.countDocuments({ done: false })) === 0;
  // (Bounds for a busy host: 400 requests and their sequencing take long there, never forever.)
  for (const t0 = Date.now(); Date.now() - t0 < 60_000 && !(await settled());)
    await new Promise((r) => setTimeout(r, 50));
  expect(await settled()).toBe(true);
}, 180_000);

afterAll(async () => {
  await api.stop();
});

/** Each ticket's timeline as its own lookup gives it: one request, one ticket. */
async function oneByOne(ticketNumbers: string[]): Promise<Map<string, Event[]>> {
  const out = new Map<string, Event[]>();
  for (const n of ticketNumbers) {
    const r = await api.gql<{ ticket: Node }>(ONE, { n }, agent);
    out.set(n, r.body.data!.ticket.timeline);
  }
  return out;
}

describe('timelines of a page are read together', () => {
  it(`a ${TICKETS}-ticket page with timelines costs at most ${MAX_COMMANDS_PER_LISTING_PAGE} commands, and matches each ticket's own lookup`, async () => {
    let page: Node[] = [];
    const commands = await commandsOf(async (headers) => {
      const r = await api.gql<{ tickets: { edges: { node: Node }[] } }>(
        LIST,
        { first: TICKETS },
        { ...agent, ...headers },
      );
      expect(r.body.errors).toBeUndefined();
      page = r.body.data!.tickets.edges.map((e) => e.node);
    });
    expect(page).toHaveLength(TICKETS);
    expect(commands.length).toBeLessThanOrEqual(MAX_COMMANDS_PER_LISTING_PAGE);
    // The events were read by one query, not per ticket.
    expect(commands.filter((c) => c === 'find ticket_events')).toHaveLength(1);

    const single = await oneByOne(page.map((t) => t.ticketNumber));
    for (const t of page) expect(t.timeline).toEqual(single.get(t.ticketNumber));
    // The shapes are all there, in timeline order.
    const kinds = new Set(page.map((t) => t.timeline.map((e) => e.kind).join(',')));
    expect(kinds).toEqual(
      new Set([
        'CREATED',
        'CREATED,FIRST_RESPONSE',
        'CREATED,FIRST_RESPONSE,AGENT_RESPONSE',
        'CREATED,FIRST_RESPONSE,RESOLVED,RESOLUTION_NOTE',
      ]),
    );
    expect(page.every((t) => t.timeline.every((e, i) => i === 0 || e.at >= t.timeline[i - 1].at))).toBe(true);
  });

  it(`change-feed pages with timelines cost at most ${MAX_COMMANDS_PER_FEED_PAGE} commands each, and match each ticket's own lookup`, async () => {
    // 100 changes a page: the cost limit counts each change's timeline, so
    // a 500-change page that selects timelines is refused before it runs.
    let changes: { event: { id: string }; ticket: Node }[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      let body!: { changes: typeof changes; endCursor: string | null; hasMore: boolean };
      const commands = await commandsOf(async (headers) => {
        const r = await api.gql<{ ticketChanges: typeof body }>(
          CHANGES,
          { first: 100, after },
          { ...agent, ...headers },
        );
        expect(r.body.errors).toBeUndefined();
        body = r.body.data!.ticketChanges;
      });
      expect(commands.length).toBeLessThanOrEqual(MAX_COMMANDS_PER_FEED_PAGE);
      expect(commands.filter((c) => c === 'find ticket_events').length).toBeLessThanOrEqual(2);
      changes = changes.concat(body.changes);
      after = body.endCursor;
      if (!body.hasMore) break;
    }
    const tickets = new Map(changes.map((c) => [c.ticket.ticketNumber, c.ticket]));
    expect(tickets.size).toBe(TICKETS);
    expect(changes.length).toBeGreaterThan(TICKETS * 2);

    const single = await oneByOne([...tickets.keys()]);
    // Every change of a ticket carries the same, complete timeline.
    for (const c of changes) expect(c.ticket.timeline).toEqual(single.get(c.ticket.ticketNumber));
  });
});
