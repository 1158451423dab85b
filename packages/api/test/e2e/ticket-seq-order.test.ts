// Two agents on two API processes change the same ticket at the same
// moment: the order of the ticket's events (ticketSeq, which the change feed
// follows) is the order in which their compare-and-set writes won, whoever
// took a number first. So the last status event is the ticket's status, and
// each ASSIGNED event's "was" is the assignee the one before it set.
import { MongoClient } from 'mongodb';
import { Types } from 'mongoose';
import { CREATE, STATUS, agent, gql, ticketInput } from '../support/api';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';

const ROUNDS = 12;
/** Agents assigning at once, alternately on either process. */
const AGENTS = ['a', 'b', 'c', 'd', 'e', 'f'];
const ASSIGN = 'mutation($n: String!, $a: String) { assignTicket(ticketNumber: $n, assignee: $a) { assignee } }';
const STATUS_KINDS = new Set(['IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED']);

const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: the ticketSeq order test needs the build (npm test runs it first)');

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
