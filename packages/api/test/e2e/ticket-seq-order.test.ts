// Two agents on two API processes change the same ticket at the same
// moment: the order of the ticket's events (ticketSeq, which the change feed
// follows) is the order in which their compare-and-set writes won, whoever
// took a number first. So the last status event is the ticket's status, and
// each ASSIGNED event's "was" is the assignee the one before it set.
import { MongoClient } from 'mongodb';
import mongoose, { Types } from 'mongoose';
import { CREATE, RESPOND, STATUS, agent, engineUri, gql, startTestApi, ticketInput, type TestApi } from '../support/api';
import { collectionOf, commandsOfRequests, monitoredUri } from '../support/commands';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';

const ROUNDS = 12;
/** Agents assigning at once, alternately on either process. */
const AGENTS = ['a', 'b', 'c', 'd', 'e', 'f'];
const ASSIGN = 'mutation($n: String!, $a: String) { assignTicket(ticketNumber: $n, assignee: $a) { assignee } }';
const STATUS_KINDS = new Set(['IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED']);

// Needs an engine whose findOneAndUpdate answers each caller with its own
// result under concurrency: jongodb now and then hands one connection
// another's reply (measured: about 1 in 100 under load), so an agent whose
// compare-and-set lost is told it won, and the check below fails for the
// engine's fault, not ours (seen once in a CI run). On MongoDB the
// compare-and-set and its $inc are one atomic write.
const realMongo = process.env.TEST_REAL_MONGODB === '1';
const describeBuilt = serverBuilt && realMongo ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: the ticketSeq order test needs the build (npm test runs it first)');
else if (!realMongo) console.warn('skipped: concurrent changes of one ticket need a real MongoDB (MONGODB_URI or an embedded mongod): jongodb sometimes answers one connection with another\'s findOneAndUpdate reply');

describeBuilt('two agents on two processes change one ticket at once', () => {
  let servers: ServerProcess[];
  let uri: string;
  beforeAll(async () => {
    ({ uri, servers } = await startServers(2, 'ticket_seq_order'));
  }, 60_000);
  afterAll(async () => {
    for (const s of servers) expect(await s.stop()).toBe(0);
  });

  it(`in ${ROUNDS} rounds, ticketSeq order agrees with the ticket: its status, its assignee and every "was"`, async () => {
    const [a, b] = servers;
    const client = await MongoClient.connect(uri);
    try {
      const events = client.db().collection('ticket_events');
      const tickets = client.db().collection('tickets');
      for (let round = 0; round < ROUNDS; round++) {
        const t = (await gql<{ createTicket: { id: string; ticketNumber: string } }>(a.url, CREATE, { input: ticketInput() })).body.data!.createTicket;
        const n = t.ticketNumber;
        const replies = await Promise.all([
          gql(a.url, STATUS, { n, s: 'IN_PROGRESS' }, agent),
          gql(b.url, STATUS, { n, s: 'WAITING_ON_CUSTOMER' }, agent),
          ...AGENTS.map((name, i) => gql((i % 2 ? b : a).url, ASSIGN, { n, a: `${name}-${round}` }, agent)),
          gql(b.url, STATUS, { n, s: 'RESOLVED' }, agent),
        ]);
        for (const r of replies) expect(r.body.errors).toBeUndefined();

        const ticket = (await tickets.findOne({ _id: new Types.ObjectId(t.id) }))!;
        const ordered = await events.find({ ticketId: new Types.ObjectId(t.id) }).sort({ ticketSeq: 1 }).toArray();
        const seqs = ordered.map((e) => e.ticketSeq);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(seqs.every((s) => typeof s === 'number')).toBe(true);
        const statusEvents = ordered.filter((e) => STATUS_KINDS.has(e.kind)).map((e) => e.kind);
        expect([round, statusEvents[statusEvents.length - 1]]).toEqual([round, ticket.status]);
        const assigned = ordered.filter((e) => e.kind === 'ASSIGNED').map((e) => String(e.message));
        expect(assigned).toHaveLength(AGENTS.length);
        // "Assigned to X", then "Assigned to Y (was X)" and so on, the last to the assignee now.
        let was: string | null = null;
        for (const message of assigned) {
          const m = /^Assigned to (\S+)(?: \(was (\S+)\))?$/.exec(message);
          expect([round, message, m?.[2] ?? null]).toEqual([round, message, was]);
          was = m?.[1] ?? null;
        }
        expect([round, was]).toEqual([round, ticket.assignee]);
      }
    } finally {
      await client.close();
    }
  }, 120_000);
});

// What the test above checks by racing, this one checks on any engine: a
// change that writes the ticket takes its events' ticketSeq in that same
// write (its compare-and-set), never in a write of its own.
describe('each change takes its place in the write that makes it', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi('ticket_seq_writes', {}, monitoredUri(engineUri()));
  });
  afterAll(async () => { await api.stop(); });

  it('a status change, an assignment and both kinds of answer put $inc eventSeq in their compare-and-set', async () => {
    const n = (await api.gql<{ createTicket: { ticketNumber: string } }>(CREATE, { input: ticketInput() })).body.data!.createTicket.ticketNumber;
    // The changes' own commands (by their request id), never a timer's.
    const commands = await commandsOfRequests(async (headers) => {
      for (const [query, variables] of [
        [STATUS, { n, s: 'IN_PROGRESS' }],
        [ASSIGN, { n, a: 'ada' }],
        [RESPOND, { n, m: 'first answer' }],
        [RESPOND, { n, m: 'second answer' }],
      ] as const) expect((await api.gql(query, variables, { ...agent, ...headers })).body.errors).toBeUndefined();
    });
    const writes = commands
      .filter((e) => e.commandName === 'findAndModify' && collectionOf(e) === 'tickets')
      .map((e) => e.command as unknown as { query: Record<string, unknown>; update: Record<string, Record<string, unknown>> });
    const conditions = writes.map((w) => Object.keys(w.query).filter((k) => k !== '_id').sort().join(','));
    // The second answer tries to be the first response, then writes as a later one.
    expect(conditions).toEqual(['status', 'assignedAt', 'firstResponseAt', 'firstResponseAt', '']);
    // Each of those writes changes the ticket and takes one number; no write takes a number alone.
    for (const w of writes) expect([w.update.$inc, Object.keys(w.update).length > 1]).toEqual([{ eventSeq: 1 }, true]);
    const events = await mongoose.connection.db!.collection('ticket_events').find({ ticketId: (await mongoose.connection.db!.collection('tickets').findOne({ ticketNumber: n }))!._id }).sort({ ticketSeq: 1 }).toArray();
    expect(events.map((e) => [e.ticketSeq, e.kind])).toEqual([[0, 'CREATED'], [1, 'IN_PROGRESS'], [2, 'ASSIGNED'], [3, 'FIRST_RESPONSE'], [4, 'AGENT_RESPONSE']]);
  });
});
