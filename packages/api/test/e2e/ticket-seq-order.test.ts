// Many agents on two API processes change the same ticket at the same
// moment, on the engine the tests run on (jongodb here, whose conditional
// findOneAndUpdate is not atomic): each change has one winner, its events'
// `sequence` is the order in which the writes won, the ticket names the
// assignee of the highest ASSIGNED event and the status of the last status
// event, and the change feed delivers the ticket's events in increasing
// sequence. Ticket numbers taken by concurrent creates never repeat.
import { MongoClient } from 'mongodb';
import mongoose, { Types } from 'mongoose';
import {
  CREATE,
  RESPOND,
  STATUS,
  agent,
  engineUri,
  gql,
  startTestApi,
  ticketInput,
  type TestApi,
} from '../support/api';
import { collectionOf, commandsOfRequests, monitoredUri } from '../support/commands';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';

const ROUNDS = 6;
/** Concurrent callers per round: agents assigning, plus three status changes. */
const AGENTS = Array.from({ length: 29 }, (_, i) => `agent${i}`);
const ASSIGN = 'mutation($n: String!, $a: String) { assignTicket(ticketNumber: $n, assignee: $a) { assignee } }';
const STATUS_KINDS = new Set(['IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED', 'REOPENED']);
const STATUS_OF: Record<string, string> = {
  IN_PROGRESS: 'IN_PROGRESS',
  WAITING_ON_CUSTOMER: 'WAITING_ON_CUSTOMER',
  RESOLVED: 'RESOLVED',
  CLOSED: 'CLOSED',
};
const CHANGES = `query($after: String) { ticketChanges(after: $after, first: 500) { changes { event { kind sequence } ticket { id } } endCursor hasMore } }`;

const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: the concurrent ticket order test needs the build (npm test runs it first)');

describeBuilt(`${AGENTS.length + 3} callers on two processes change one ticket at once`, () => {
  let servers: ServerProcess[];
  let uri: string;
  beforeAll(async () => {
    ({ uri, servers } = await startServers(2, 'ticket_seq_order', {}, 120_000));
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) expect(await s.stop()).toBe(0);
  });

  it(`in ${ROUNDS} rounds: distinct sequences, one ASSIGNED event per agent, the ticket as the highest events say, the feed in sequence order`, async () => {
    const [a, b] = servers;
    const client = await MongoClient.connect(uri);
    try {
      const events = client.db().collection('ticket_events');
      const tickets = client.db().collection('tickets');
      const ids: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const t = (
          await gql<{ createTicket: { id: string; ticketNumber: string } }>(a.url, CREATE, { input: ticketInput() })
        ).body.data!.createTicket;
        ids.push(t.id);
        const n = t.ticketNumber;
        const replies = await Promise.all([
          gql(a.url, STATUS, { n, s: 'IN_PROGRESS' }, agent),
          gql(b.url, STATUS, { n, s: 'WAITING_ON_CUSTOMER' }, agent),
          ...AGENTS.map((name, i) => gql((i % 2 ? b : a).url, ASSIGN, { n, a: `${name}-${round}` }, agent)),
          gql(b.url, STATUS, { n, s: 'RESOLVED' }, agent),
        ]);
        for (const r of replies) expect([round, r.body.errors]).toEqual([round, undefined]);

        const ticket = (await tickets.findOne({ _id: new Types.ObjectId(t.id) }))!;
        const ordered = await events
          .find({ ticketId: new Types.ObjectId(t.id) })
          .sort({ sequence: 1 })
          .toArray();
        const seqs = ordered.map((e) => e.sequence);
        // 1..n without a hole (every write here succeeded), and the ticket's lastSequence is the highest.
        expect([round, seqs]).toEqual([round, seqs.map((_, i) => i + 1)]);
        expect([round, ticket.lastSequence]).toEqual([round, seqs.length]);
        const statusEvents = ordered.filter((e) => STATUS_KINDS.has(e.kind)).map((e) => e.kind);
        expect([round, STATUS_OF[statusEvents[statusEvents.length - 1]]]).toEqual([round, ticket.status]);
        const assigned = ordered.filter((e) => e.kind === 'ASSIGNED').map((e) => String(e.message));
        expect([round, assigned.length]).toEqual([round, AGENTS.length]);
        // "Assigned to X", then "Assigned to Y (was X)" and so on, the last to the assignee now.
        let was: string | null = null;
        for (const message of assigned) {
          const m = /^Assigned to (\S+)(?: \(was (\S+)\))?$/.exec(message);
          expect([round, message, m?.[2] ?? null]).toEqual([round, message, was]);
          was = m?.[1] ?? null;
        }
        expect([round, was]).toEqual([round, ticket.assignee]);
        expect(new Set(assigned.map((m) => /^Assigned to (\S+)/.exec(m)![1]))).toEqual(
          new Set(AGENTS.map((name) => `${name}-${round}`)),
        );
      }

      // The feed (what webhooks and ticketChanged read) has every event of these tickets, each ticket's in increasing sequence.
      const expected = await events.countDocuments({ ticketId: { $in: ids.map((id) => new Types.ObjectId(id)) } });
      const fed = new Map<string, number[]>();
      let after: string | null = null;
      for (let tries = 0; [...fed.values()].reduce((s, l) => s + l.length, 0) < expected && tries < 300; tries++) {
        type Page = {
          changes: { event: { sequence: number }; ticket: { id: string } }[];
          endCursor: string | null;
          hasMore: boolean;
        };
        const page: Page = (await gql<{ ticketChanges: Page }>(b.url, CHANGES, { after }, agent)).body.data!
          .ticketChanges;
        for (const c of page.changes) fed.set(c.ticket.id, [...(fed.get(c.ticket.id) ?? []), c.event.sequence]);
        after = page.endCursor ?? after;
        if (!page.hasMore) await new Promise((r) => setTimeout(r, 200));
      }
      for (const id of ids)
        expect(fed.get(id)).toEqual([...(fed.get(id) ?? [])].sort((x, y) => x - y).map((_, i) => i + 1));
    } finally {
      await client.close();
    }
  }, 600_000);

  it('32 creates at once on two processes, several rounds: distinct ticket numbers, none refused', async () => {
    const numbers: string[] = [];
    for (let round = 0; round < 4; round++) {
      const replies = await Promise.all(
        Array.from({ length: 32 }, (_, i) =>
          gql<{ createTicket: { ticketNumber: string } }>(servers[i % 2].url, CREATE, { input: ticketInput() }),
        ),
      );
      for (const r of replies) expect(r.body.errors).toBeUndefined();
      numbers.push(...replies.map((r) => r.body.data!.createTicket.ticketNumber));
    }
    expect(new Set(numbers).size).toBe(numbers.length);
  }, 300_000);
});

// What the test above checks by racing, this one checks command by
// command: every change of a ticket is one conditional updateOne on its
// lastSequence (no findAndModify, whose conditional form jongodb does not
// make atomic), and its events take the numbers that write moved past.
describe('each change takes its numbers in the write that makes it', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('ticket_seq_writes', {}, monitoredUri(engineUri()));
  });
  afterAll(async () => {
    await api.stop();
  });

  it('a status change, an assignment, both kinds of answer and a note: updateOne conditional on lastSequence', async () => {
    const n = (await api.gql<{ createTicket: { ticketNumber: string } }>(CREATE, { input: ticketInput() })).body.data!
      .createTicket.ticketNumber;
    const NOTE =
      'mutation($n: String!, $m: String!) { addInternalNote(ticketNumber: $n, message: $m) { ticketNumber } }';
    // The changes' own commands (by their request id), never a timer's (the SLA worker and search also write tickets).
    const commands = await commandsOfRequests(async (headers) => {
      for (const [query, variables] of [
        [STATUS, { n, s: 'IN_PROGRESS' }],
        [ASSIGN, { n, a: 'ada' }],
        [RESPOND, { n, m: 'first answer' }],
        [RESPOND, { n, m: 'second answer' }],
        [NOTE, { n, m: 'a note' }],
      ] as const)
        expect((await api.gql(query, variables, { ...agent, ...headers })).body.errors).toBeUndefined();
    });
    const writes = commands
      .filter((e) => (e.commandName === 'findAndModify' || e.commandName === 'update') && collectionOf(e) === 'tickets')
      .map((e) => ({ commandName: e.commandName, command: e.command as Record<string, any> }));
    expect(writes.map((w) => w.commandName)).toEqual(['update', 'update', 'update', 'update', 'update']);
    const updates = writes.map((w) => w.command.updates[0]);
    expect(updates.map((u) => [u.q.lastSequence, u.u.$set.lastSequence])).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
    ]);
    const ticketId = (await mongoose.connection.db!.collection('tickets').findOne({ ticketNumber: n }))!._id;
    const events = await mongoose.connection
      .db!.collection('ticket_events')
      .find({ ticketId })
      .sort({ sequence: 1 })
      .toArray();
    expect(events.map((e) => [e.sequence, e.kind])).toEqual([
      [1, 'CREATED'],
      [2, 'IN_PROGRESS'],
      [3, 'ASSIGNED'],
      [4, 'FIRST_RESPONSE'],
      [5, 'AGENT_RESPONSE'],
      [6, 'INTERNAL_NOTE'],
    ]);
    // And the API says so.
    const timeline = await api.gql<{ ticket: { timeline: { kind: string; sequence: number }[] } }>(
      'query($n: String!) { ticket(ticketNumber: $n) { timeline { kind sequence } } }',
      { n },
      agent,
    );
    expect(timeline.body.data?.ticket.timeline.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a ticket from before sequence existed is numbered in its old order when next changed (ticketSeq + 1)', async () => {
    const db = mongoose.connection.db!;
    const n = (await api.gql<{ createTicket: { ticketNumber: string; id: string } }>(CREATE, { input: ticketInput() }))
      .body.data!.createTicket.ticketNumber;
    const ticket = (await db.collection('tickets').findOne({ ticketNumber: n }))!;
    // As the previous version left it: ticketSeq 0..2 (clocks disagreeing with that order), eventSeq 2, no sequence anywhere.
    await db
      .collection('ticket_events')
      .updateOne({ ticketId: ticket._id }, { $unset: { sequence: '' }, $set: { ticketSeq: 0 } });
    const base = Date.now();
    await db.collection('ticket_events').insertMany([
      {
        _id: new Types.ObjectId(),
        ticketId: ticket._id,
        kind: 'AGENT_RESPONSE',
        message: 'old two',
        at: new Date(base - 60_000),
        ticketSeq: 2,
        pending: false,
      },
      {
        _id: new Types.ObjectId(),
        ticketId: ticket._id,
        kind: 'FIRST_RESPONSE',
        message: 'old one',
        at: new Date(base),
        ticketSeq: 1,
        pending: false,
      },
    ]);
    await db
      .collection('tickets')
      .updateOne(
        { _id: ticket._id },
        { $unset: { lastSequence: '' }, $set: { eventSeq: 2, firstResponseAt: new Date(base) } },
      );
    expect((await api.gql(RESPOND, { n, m: 'new' }, agent)).body.errors).toBeUndefined();
    const events = await db.collection('ticket_events').find({ ticketId: ticket._id }).sort({ sequence: 1 }).toArray();
    expect(events.map((e) => [e.sequence, e.message ?? e.kind])).toEqual([
      [1, 'CREATED'],
      [2, 'old one'],
      [3, 'old two'],
      [4, 'new'],
    ]);
    expect((await db.collection('tickets').findOne({ _id: ticket._id }))!.lastSequence).toBe(4);
  });
});
