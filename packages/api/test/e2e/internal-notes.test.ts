// The agents' side: internal notes and assignments never reach a public
// caller (HTTP or WebSocket) and change nothing a public caller sees, not
// even updatedAt; token holders see them everywhere else, marked INTERNAL.
// Assignment: validation, the listing filter, two agents at once.
import type { CommandStartedEvent } from 'mongodb';
import mongoose from 'mongoose';
import WebSocket from 'ws';
import { createClient, type LiveChange, type Ticket } from '../../../sdk/src';
import { AGENT_TOKEN, agent, codeOf, engineUri, startTestApi, ticketInput, type TestApi } from '../support/api';
import { collectionOf, commandsOfRequests, monitoredUri } from '../support/commands';
import { connectRawWs, until as untilWs } from '../support/ws-client';

const EVENT = 'id kind at message actor visibility';
const FIELDS = `id ticketNumber subject description status priority source customerEmail customerName chatId
  createdAt updatedAt firstResponseAt resolvedAt closedAt resolutionNotes assignee timeline { ${EVENT} }`;
const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ${FIELDS} } }`;
const TRACK = `query($n: String!, $e: String!) { trackTicket(ticketNumber: $n, email: $e) { ${FIELDS} } }`;
const TIMELINE = `query($n: String!, $e: String!) { ticketTimeline(ticketNumber: $n, email: $e) { ${EVENT} } }`;
const TICKET = `query($n: String!) { ticket(ticketNumber: $n) { ${FIELDS} } }`;
const NOTE = `mutation($n: String!, $m: String!) { addInternalNote(ticketNumber: $n, message: $m) { ${FIELDS} } }`;
const ASSIGN = `mutation($n: String!, $a: String) { assignTicket(ticketNumber: $n, assignee: $a) { ${FIELDS} } }`;
const LIST = `query($f: TicketFilter) { tickets(filter: $f, first: 100) { edges { node { ticketNumber assignee updatedAt } } } }`;
const FEED = `query($after: String) { ticketChanges(after: $after, first: 500) { changes { event { ${EVENT} } ticket { ticketNumber updatedAt assignee } } endCursor hasMore } }`;

type Event = { id: string; kind: string; message: string | null; actor: string | null; visibility: string };

async function until(check: () => boolean, limitMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let api: TestApi;
// monitorCommands: one test looks at the queries a public lookup sends.
// One connection to the engine: jongodb now and then answers one connection
// with another's findOneAndUpdate reply (on one connection it never did),
// and the assignment race below must test our compare-and-set, not that.
// The requests still race: each reads, then tries its compare-and-set.
beforeAll(async () => {
  api = await startTestApi('internal_notes', {}, `${monitoredUri(engineUri())}&maxPoolSize=1`);
});
afterAll(async () => {
  await api.stop();
});

const sdk = (token?: string) => createClient({ url: api.url, token, webSocketImpl: WebSocket });

async function newTicket(over: Record<string, unknown> = {}) {
  const input = ticketInput(over);
  const r = await api.gql(CREATE, { input });
  return { ...(r.body.data!.createTicket as Ticket), email: String(input.customerEmail), input };
}

/** Every change of the feed so far, read with a token. */
type Change = { event: Event; ticket: { ticketNumber: string; updatedAt: string; assignee: string | null } };
async function feed(): Promise<Change[]> {
  const all: Change[] = [];
  let after: string | null = null;
  for (let page = 0; page < 100; page++) {
    const r: { changes: Change[]; endCursor: string | null; hasMore: boolean } = (await api.gql(FEED, { after }, agent))
      .body.data!.ticketChanges;
    all.push(...r.changes);
    after = r.endCursor;
    if (!r.hasMore) break;
  }
  return all;
}

describe('internal notes and assignments, as a customer sees them', () => {
  it('reach no public path (trackTicket, ticketTimeline, ticketUpdated, a createTicket replay) and leave the public answer byte-identical', async () => {
    const t = await newTicket({ idempotencyKey: `notes-${Date.now()}` });
    const track = async () => JSON.stringify((await api.gql(TRACK, { n: t.ticketNumber, e: t.email })).body);
    const timeline = async () => JSON.stringify((await api.gql(TIMELINE, { n: t.ticketNumber, e: t.email })).body);
    const replay = async () => JSON.stringify((await api.gql(CREATE, { input: t.input })).body);
    const before = { track: await track(), timeline: await timeline(), replay: await replay() };

    const customer = sdk();
    const seen: Ticket[] = [];
    const stop = customer.subscribeToTicket(
      { ticketNumber: t.ticketNumber, email: t.email },
      { next: (v) => seen.push(v) },
    );
    try {
      await until(() => seen.length === 1);
      const noted = await api.gql(NOTE, { n: t.ticketNumber, m: 'Customer is a VIP; be gentle.' }, agent);
      expect(noted.body.errors).toBeUndefined();
      expect(
        (await api.gql(ASSIGN, { n: t.ticketNumber, a: 'ada@support.example' }, agent)).body.errors,
      ).toBeUndefined();
      // Both are in the feed (so every process's live reader has passed them) before we look again.
      for (
        let i = 0;
        i < 100 &&
        (await feed()).filter((c) => c.ticket.ticketNumber === t.ticketNumber && c.event.visibility === 'INTERNAL')
          .length < 2;
        i++
      )
        await new Promise((r) => setTimeout(r, 100));

      expect({ track: await track(), timeline: await timeline(), replay: await replay() }).toEqual(before);
      expect(before.track).not.toContain('VIP');
      expect(before.track).toContain('"assignee":null');

      // A public change after them: the subscriber's next state is that one; nothing came for the note or the assignment.
      await api.gql(
        `mutation($n: String!) { respondToTicket(ticketNumber: $n, message: "On it.") { id } }`,
        { n: t.ticketNumber },
        agent,
      );
      await until(() => seen.some((v) => v.firstResponseAt !== null));
      expect(seen).toHaveLength(2);
      for (const v of seen) {
        expect(v.timeline.map((e) => e.kind)).not.toEqual(expect.arrayContaining(['INTERNAL_NOTE']));
        expect(v.timeline.every((e) => e.visibility === 'PUBLIC' && e.actor === null)).toBe(true);
        expect(v.assignee).toBeNull();
      }
      expect(seen[0].updatedAt).toBe(t.updatedAt);
      expect(seen[1].timeline.map((e) => e.kind)).toEqual(['CREATED', 'FIRST_RESPONSE']);
    } finally {
      stop();
      await customer.close();
    }
  });

  it('are not even read for a public lookup: its query asks for the public events only', async () => {
    const t = await newTicket();
    for (let i = 0; i < 3; i++)
      expect((await api.gql(NOTE, { n: t.ticketNumber, m: `note ${i}` }, agent)).body.errors).toBeUndefined();
    // The lookups' own commands (by their request id), never the feed's sequencer reading events on its timer.
    const commands = await commandsOfRequests(async (headers) => {
      expect(
        (await api.gql(TRACK, { n: t.ticketNumber, e: t.email }, headers)).body.data!.trackTicket.timeline.map(
          (e: Event) => e.kind,
        ),
      ).toEqual(['CREATED']);
      expect(
        (await api.gql(TIMELINE, { n: t.ticketNumber, e: t.email }, headers)).body.data!.ticketTimeline.map(
          (e: Event) => e.kind,
        ),
      ).toEqual(['CREATED']);
    });
    const finds = commands.filter((e) => e.commandName === 'find' && collectionOf(e) === 'ticket_events');
    expect(finds).toHaveLength(2);
    for (const f of finds) expect(f.command.filter).toMatchObject({ visibility: { $ne: 'INTERNAL' } });
  });

  it('are not read for a public lookup over WebSocket either: its commands carry its own request id', async () => {
    const t = await newTicket();
    expect((await api.gql(NOTE, { n: t.ticketNumber, m: 'note' }, agent)).body.errors).toBeUndefined();
    const client = mongoose.connection.getClient();
    const seen: CommandStartedEvent[] = [];
    const listener = (e: CommandStartedEvent) => {
      if (String((e.command as { comment?: unknown }).comment ?? '').startsWith('ws-')) seen.push(e);
    };
    client.on('commandStarted', listener);
    const ws = await connectRawWs(api.url);
    try {
      ws.subscribe('1', TRACK, { n: t.ticketNumber, e: t.email });
      await untilWs(() => ws.received.some((m) => m.id === '1' && m.type === 'complete'), 30_000, 'the lookup');
    } finally {
      client.off('commandStarted', listener);
      ws.ws.close();
    }
    const answer = ws.received.find((m) => m.id === '1' && m.type === 'next')!.payload;
    expect(answer.data.trackTicket.timeline.map((e: Event) => e.kind)).toEqual(['CREATED']);
    // This operation's commands: those under the id its ticket lookup was sent with.
    const lookup = seen.find(
      (e) => collectionOf(e) === 'tickets' && JSON.stringify(e.command.filter ?? {}).includes(t.ticketNumber),
    );
    expect(lookup).toBeDefined();
    const ours = seen.filter((e) => e.command.comment === lookup!.command.comment);
    const finds = ours.filter((e) => e.commandName === 'find' && collectionOf(e) === 'ticket_events');
    expect(finds).toHaveLength(1);
    expect(finds[0].command.filter).toMatchObject({ visibility: { $ne: 'INTERNAL' } });
  });

  it("does not move the ticket's updatedAt, for anyone", async () => {
    const t = await newTicket();
    await new Promise((r) => setTimeout(r, 20));
    await api.gql(NOTE, { n: t.ticketNumber, m: 'note' }, agent);
    await api.gql(ASSIGN, { n: t.ticketNumber, a: 'grace' }, agent);
    await api.gql(ASSIGN, { n: t.ticketNumber, a: null }, agent);
    const withToken = (await api.gql(TICKET, { n: t.ticketNumber }, agent)).body.data!.ticket;
    expect(withToken.updatedAt).toBe(t.updatedAt);
    expect(withToken.timeline.map((e: Event) => e.kind)).toEqual(['CREATED', 'INTERNAL_NOTE', 'ASSIGNED', 'ASSIGNED']);
    // A listing's updatedAfter follows the public time too: an internal change does not bring a ticket back.
    const after = new Date(new Date(t.updatedAt).getTime() + 1).toISOString();
    const listed = (await api.gql(LIST, { f: { updatedAfter: after } }, agent)).body.data!.tickets.edges.map(
      (e: { node: { ticketNumber: string } }) => e.node.ticketNumber,
    );
    expect(listed).not.toContain(t.ticketNumber);
  });

  it('needs tickets:write, and a message', async () => {
    const t = await newTicket();
    expect(codeOf(await api.gql(NOTE, { n: t.ticketNumber, m: 'x' }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await api.gql(ASSIGN, { n: t.ticketNumber, a: 'x' }))).toBe('UNAUTHENTICATED');
    const empty = await api.gql(NOTE, { n: t.ticketNumber, m: '   ' }, agent);
    expect(codeOf(empty)).toBe('BAD_USER_INPUT');
    expect(empty.body.errors![0].extensions.fields).toEqual([{ field: 'message', message: expect.any(String) }]);
    expect(codeOf(await api.gql(NOTE, { n: 'TKT-99999999', m: 'x' }, agent))).toBe('NOT_FOUND');
  });
});

describe('internal notes and assignments, as a token holder sees them', () => {
  it('shows them, marked INTERNAL with who made them, in ticket, the listing, the feed and ticketChanged', async () => {
    const agentSdk = sdk(AGENT_TOKEN);
    const live: LiveChange[] = [];
    const stop = agentSdk.subscribeToChanges({ next: (c) => live.push(c) });
    try {
      // Subscribed once a change made now arrives.
      const probe = await newTicket();
      for (let i = 0; i < 50 && !live.some((c) => c.ticket.ticketNumber === probe.ticketNumber); i++) {
        await new Promise((r) => setTimeout(r, 200));
        if (i % 10 === 9) await api.gql(NOTE, { n: probe.ticketNumber, m: 'probe' }, agent);
      }
      const t = await newTicket();
      const noted = (await api.gql(NOTE, { n: t.ticketNumber, m: 'Checked the logs: disk full.' }, agent)).body.data!
        .addInternalNote;
      expect(noted.timeline.at(-1)).toMatchObject({
        kind: 'INTERNAL_NOTE',
        visibility: 'INTERNAL',
        message: 'Checked the logs: disk full.',
        actor: expect.any(String),
      });
      expect(noted.timeline[0]).toMatchObject({ kind: 'CREATED', visibility: 'PUBLIC' });
      const assigned = (await api.gql(ASSIGN, { n: t.ticketNumber, a: '  ada@support.example  ' }, agent)).body.data!
        .assignTicket;
      expect(assigned.assignee).toBe('ada@support.example');
      expect(assigned.timeline.at(-1)).toMatchObject({
        kind: 'ASSIGNED',
        visibility: 'INTERNAL',
        message: 'Assigned to ada@support.example',
      });

      const ticket = (await api.gql(TICKET, { n: t.ticketNumber }, agent)).body.data!.ticket;
      expect(ticket.timeline.map((e: Event) => [e.kind, e.visibility])).toEqual([
        ['CREATED', 'PUBLIC'],
        ['INTERNAL_NOTE', 'INTERNAL'],
        ['ASSIGNED', 'INTERNAL'],
      ]);
      const listed = (
        await api.gql(LIST, { f: { assignee: 'ada@support.example' } }, agent)
      ).body.data!.tickets.edges.map((e: { node: unknown }) => e.node);
      expect(listed).toContainEqual({
        ticketNumber: t.ticketNumber,
        assignee: 'ada@support.example',
        updatedAt: t.updatedAt,
      });

      await until(() => live.filter((c) => c.ticket.ticketNumber === t.ticketNumber).length === 3, 15_000);
      const mine = live
        .filter((c) => c.ticket.ticketNumber === t.ticketNumber)
        .map((c) => [c.event.kind, c.event.visibility]);
      expect(mine).toEqual([
        ['CREATED', 'PUBLIC'],
        ['INTERNAL_NOTE', 'INTERNAL'],
        ['ASSIGNED', 'INTERNAL'],
      ]);
      const inFeed = (await feed())
        .filter((c) => c.ticket.ticketNumber === t.ticketNumber)
        .map((c) => [c.event.kind, c.event.visibility, c.event.message]);
      expect(inFeed).toEqual([
        ['CREATED', 'PUBLIC', null],
        ['INTERNAL_NOTE', 'INTERNAL', 'Checked the logs: disk full.'],
        ['ASSIGNED', 'INTERNAL', 'Assigned to ada@support.example'],
      ]);
    } finally {
      stop();
      await agentSdk.close();
    }
  });
});

describe('assignment', () => {
  it('checks the assignee: trimmed, 1-200 characters, BAD_USER_INPUT on field assignee', async () => {
    const t = await newTicket();
    for (const a of ['', '   ', 'x'.repeat(201), 'bad\u0000id']) {
      const r = await api.gql(ASSIGN, { n: t.ticketNumber, a }, agent);
      expect(codeOf(r)).toBe('BAD_USER_INPUT');
      expect(r.body.errors![0].extensions.fields).toEqual([{ field: 'assignee', message: expect.any(String) }]);
    }
    expect(
      (await api.gql(ASSIGN, { n: t.ticketNumber, a: 'x'.repeat(200) }, agent)).body.data!.assignTicket.assignee,
    ).toBe('x'.repeat(200));
    const bad = await api.gql(LIST, { f: { assignee: 'x', unassigned: true } }, agent);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(codeOf(await api.gql(LIST, { f: { assignee: ' ' } }, agent))).toBe('BAD_USER_INPUT');
  });

  it('rejects control, format and invisible characters in the assignee (and the filter), and stores NFC', async () => {
    const t = await newTicket();
    const classes: Record<string, string[]> = {
      'tab, newline, CR': ['ada\tx', 'ada\nx', 'ada\rx', '\tada'],
      'DEL and C1 controls': ['ada\u007f', 'ada\u0085x', 'ada\u009bx'],
      'bidi overrides and isolates': ['ada\u202ex', 'ada\u202ax', 'ada\u2066x', 'ada\u2069x'],
      'zero-width and BOM': ['ad\u200ba', 'ad\u200da', 'ada\u200f', '\ufeffada'],
      'lone surrogates': ['ada\ud800', 'ada\udfff'],
    };
    for (const [name, values] of Object.entries(classes)) {
      for (const a of values) {
        const r = await api.gql(ASSIGN, { n: t.ticketNumber, a }, agent);
        expect([name, JSON.stringify(a), codeOf(r)]).toEqual([name, JSON.stringify(a), 'BAD_USER_INPUT']);
        expect(r.body.errors![0].extensions.fields).toEqual([
          { field: 'assignee', message: 'must not contain control, format or invisible characters' },
        ]);
        expect(codeOf(await api.gql(LIST, { f: { assignee: a } }, agent))).toBe('BAD_USER_INPUT');
      }
    }
    // "é" typed as e + combining acute is stored, and found, as the single code point.
    const run = Date.now();
    const assigned = (await api.gql(ASSIGN, { n: t.ticketNumber, a: `rene\u0301-${run}` }, agent)).body.data!
      .assignTicket;
    expect(assigned.assignee).toBe(`ren\u00e9-${run}`);
    const listed = (await api.gql(LIST, { f: { assignee: `ren\u00e9-${run}` } }, agent)).body.data!.tickets.edges.map(
      (e: { node: { ticketNumber: string } }) => e.node.ticketNumber,
    );
    expect(listed).toEqual([t.ticketNumber]);
    // Compared exactly: another case is another agent.
    expect((await api.gql(LIST, { f: { assignee: `REN\u00c9-${run}` } }, agent)).body.data!.tickets.edges).toEqual([]);
  });

  it('reassigns and unassigns, says who from and to, and filters by assignee or none', async () => {
    await api.reset();
    const [a, b, c] = [await newTicket(), await newTicket(), await newTicket()];
    await api.gql(ASSIGN, { n: a.ticketNumber, a: 'grace' }, agent);
    await api.gql(ASSIGN, { n: b.ticketNumber, a: 'grace' }, agent);
    await api.gql(ASSIGN, { n: b.ticketNumber, a: 'alan' }, agent);
    await api.gql(ASSIGN, { n: a.ticketNumber, a: 'grace' }, agent); // no change: no event
    const unassigned = (await api.gql(ASSIGN, { n: a.ticketNumber, a: null }, agent)).body.data!.assignTicket;
    expect(unassigned.assignee).toBeNull();
    expect(unassigned.timeline.filter((e: Event) => e.kind === 'ASSIGNED').map((e: Event) => e.message)).toEqual([
      'Assigned to grace',
      'Unassigned (was grace)',
    ]);
    const bTimeline = (await api.gql(TICKET, { n: b.ticketNumber }, agent)).body.data!.ticket.timeline;
    expect(bTimeline.filter((e: Event) => e.kind === 'ASSIGNED').map((e: Event) => e.message)).toEqual([
      'Assigned to grace',
      'Assigned to alan (was grace)',
    ]);
    await api.gql(ASSIGN, { n: c.ticketNumber, a: 'grace' }, agent);

    const numbers = async (f: Record<string, unknown>) =>
      (await api.gql(LIST, { f }, agent)).body.data!.tickets.edges.map(
        (e: { node: { ticketNumber: string } }) => e.node.ticketNumber,
      );
    expect(await numbers({ assignee: ' grace ' })).toEqual([c.ticketNumber]);
    expect(await numbers({ assignee: 'alan' })).toEqual([b.ticketNumber]);
    expect(await numbers({ unassigned: true })).toEqual([a.ticketNumber]);
    expect(await numbers({ unassigned: false })).toEqual([c.ticketNumber, b.ticketNumber]);
    expect(await numbers({ unassigned: true, status: ['OPEN'] })).toEqual([a.ticketNumber]);
    expect(await numbers({ unassigned: true, status: ['CLOSED'] })).toEqual([]);
  });

  it('two agents at once: both succeed, both events are on the timeline, the last one written is the assignee', async () => {
    for (let round = 0; round < 5; round++) {
      const t = await newTicket();
      const results = await Promise.all(
        ['grace', 'alan', 'ada'].map((a) => api.gql(ASSIGN, { n: t.ticketNumber, a: `${a}-${round}` }, agent)),
      );
      for (const r of results) expect(r.body.errors).toBeUndefined();
      const ticket = (await api.gql(TICKET, { n: t.ticketNumber }, agent)).body.data!.ticket;
      const assigned = ticket.timeline
        .filter((e: Event) => e.kind === 'ASSIGNED')
        .map((e: Event) => /^Assigned to (\S+)(?: \(was (\S+)\))?$/.exec(e.message!)!);
      expect(assigned).toHaveLength(3);
      // A chain: each event's "was" is the one before it; the final assignee is the last event's.
      expect(assigned[0][2]).toBeUndefined();
      expect(assigned[1][2]).toBe(assigned[0][1]);
      expect(assigned[2][2]).toBe(assigned[1][1]);
      expect(ticket.assignee).toBe(assigned[2][1]);
      expect(new Set(assigned.map((m: RegExpExecArray) => m[1]))).toEqual(
        new Set([`grace-${round}`, `alan-${round}`, `ada-${round}`]),
      );
    }
  });
});
