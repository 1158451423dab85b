// A backlog longer than the subscription bound (a sequencer that stalled,
// then claimed everything at once): a ticketChanged subscriber that keeps
// reading, each change costing it a database read (`ticket { timeline }`),
// gets every change in order and stays subscribed; one that stopped reading
// is ended with SLOW_CONSUMER. A real API process, real WebSocket clients.
import { MongoClient } from 'mongodb';
import { Types } from 'mongoose';
import { AGENT_TOKEN, CREATE, gql, ticketInput } from '../support/api';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';
import { connectRawWs, until, untilProgressing } from '../support/ws-client';

const LIMIT = 50;
const TICKETS = 10;
const PER_TICKET = 100;
/** The paused subscriber selects it: 1 000 changes of 20 KB are far more than the socket buffers hold. */
const DESCRIPTION = 'd'.repeat(20_000);

async function subscriber(url: string, selection: string) {
  const client = await connectRawWs(url, `Bearer ${AGENT_TOKEN}`);
  client.subscribe('feed', `subscription { ticketChanged { ${selection} } }`);
  const messages = () =>
    client.received
      .filter((m) => m.type === 'next')
      .flatMap((m) => {
        const text = m.payload.data.ticketChanged.event.message as string | null;
        return text?.startsWith('backlog ') ? [text] : [];
      });
  return { ...client, messages };
}

const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: the backlog test needs the build (npm test runs it first)');

describeBuilt(`a backlog of ${TICKETS * PER_TICKET} changes, ${LIMIT} allowed to wait per subscriber`, () => {
  let server: ServerProcess;
  let uri: string;
  beforeAll(async () => {
    ({
      uri,
      servers: [server],
    } = await startServers(1, 'live_backlog', {
      SUBSCRIPTION_QUEUE_LIMIT: String(LIMIT),
      // The paused subscriber answers no ping while paused: on a busy host the pause outlasts the default
      // keep-alive (12 s), and the server dropped it as dead before it could read its SLOW_CONSUMER.
      WS_KEEPALIVE_SECONDS: '300',
    }));
  }, 60_000);
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it('a subscriber that keeps reading gets every change in order and stays; a paused one is ended with SLOW_CONSUMER', async () => {
    const tickets: { id: string }[] = [];
    for (let i = 0; i < TICKETS; i++)
      tickets.push(
        (
          await gql<{ createTicket: { id: string } }>(server.url, CREATE, {
            input: ticketInput({ description: DESCRIPTION }),
          })
        ).body.data!.createTicket,
      );
    const reader = await subscriber(
      server.url,
      'cursor event { id message } ticket { ticketNumber timeline { id kind } }',
    );
    const paused = await subscriber(server.url, 'cursor event { id message } ticket { ticketNumber description }');
    const client = await MongoClient.connect(uri);
    const events = client.db().collection('ticket_events');
    try {
      // Both are live: a first change reaches them.
      await events.insertOne({
        _id: new Types.ObjectId(),
        ticketId: new Types.ObjectId(tickets[0].id),
        kind: 'AGENT_RESPONSE',
        at: new Date(),
        message: 'backlog 0',
        ticketSeq: 1,
        pending: true,
      });
      await until(() => reader.messages().length === 1 && paused.messages().length === 1, 15_000);

      paused.socket.pause();
      // The backlog lands at once, as after a stalled sequencer: one insert, claimed in two batches.
      const backlog = Array.from({ length: TICKETS * PER_TICKET }, (_, i) => ({
        _id: new Types.ObjectId(),
        ticketId: new Types.ObjectId(tickets[i % TICKETS].id),
        kind: 'AGENT_RESPONSE',
        at: new Date(),
        message: `backlog ${i + 1}`,
        ticketSeq: 2 + Math.floor(i / TICKETS),
        pending: true,
      }));
      await events.insertMany(backlog);

      const expected = ['backlog 0', ...backlog.map((e) => e.message)];
      // Bounded by the reader's progress, not a total: on a busy host 1 000 reads take long; a reader cut off stops getting any.
      await untilProgressing(
        () => reader.messages().length,
        () => reader.messages().length >= expected.length || reader.received.some((m) => m.type === 'error'),
        30_000,
        'the reader',
      );
      expect(reader.received.filter((m) => m.type === 'error')).toEqual([]);
      expect(reader.messages()).toEqual(expected);
      // Still subscribed: the next change reaches it too.
      await events.insertOne({
        _id: new Types.ObjectId(),
        ticketId: new Types.ObjectId(tickets[1].id),
        kind: 'AGENT_RESPONSE',
        at: new Date(),
        message: 'backlog after',
        ticketSeq: 1_000,
        pending: true,
      });
      await until(() => reader.messages().includes('backlog after'), 15_000);

      let closedWith: number | undefined;
      void paused.closed.then((code) => (closedWith = code));
      paused.socket.resume();
      // Bounded by its progress too: what the server had buffered for it comes first, each change a read on a busy host.
      await untilProgressing(
        () => paused.received.length,
        () => paused.received.some((m) => m.type === 'error') || closedWith !== undefined,
        30_000,
        'the paused subscriber',
      ).catch((err: Error) => {
        err.message += `; it got ${paused.messages().length} changes; the server ended ${server.out().split('SLOW_CONSUMER').length - 1} subscriber(s) as slow`;
        throw err;
      });
      expect({ closedWith, error: paused.received.some((m) => m.type === 'error') }).toEqual({
        closedWith: undefined,
        error: true,
      });
      const error = paused.received.find((m) => m.type === 'error')!;
      expect(error.payload[0].extensions).toMatchObject({ code: 'SLOW_CONSUMER', limit: LIMIT });
      // What it got before it fell behind is in order, without gaps.
      const got = paused.messages();
      expect(got.length).toBeLessThan(expected.length);
      expect(got).toEqual(expected.slice(0, got.length));
      console.log(
        `backlog: the reader got all ${expected.length} changes; the paused subscriber was ended after ${got.length}`,
      );
    } finally {
      await client.close();
      for (const s of [reader, paused]) {
        s.ws.terminate();
        await s.closed;
      }
    }
  }, 150_000);
});
