// A ticketChanged subscriber that stops reading (its socket paused) while
// thousands of changes happen: the server keeps at most its bound waiting
// for it, ends the subscription with SLOW_CONSUMER, and its memory stays
// flat. A real API process, a real WebSocket client (ws); the queue sizes
// and heap read from /metrics.
import { MongoClient } from 'mongodb';
import { Types } from 'mongoose';
import { AGENT_TOKEN, CREATE, gql, metricsAuth, ticketInput } from '../support/api';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';
import { connectRawWs, until } from '../support/ws-client';

const LIMIT = 50;
const EVENTS = 3_000;
/**
 * Each change sent carries its ticket's 20 000-character description: 3 000
 * of them (60 MB) are far more than the socket buffers hold, and the first
 * few megabytes get there within a second or two (the events themselves are
 * small, so the engine writes them fast), long before graphql-ws's
 * keep-alive would drop the paused socket (12 s without a pong).
 */
const DESCRIPTION = 'd'.repeat(20_000);
const MESSAGE = 'x'.repeat(1_000);

/** A graphql-transport-ws client on a raw socket, so the test can stop reading. */
async function subscriber(url: string) {
  const client = await connectRawWs(url, `Bearer ${AGENT_TOKEN}`);
  client.subscribe(
    'feed',
    'subscription { ticketChanged { cursor event { id message } ticket { ticketNumber description } } }',
  );
  return client;
}

/** One number from the Prometheus text. */
async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, metricsAuth)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}

const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: the backpressure test needs the build (npm test runs it first)');

describeBuilt('a subscriber that stops reading', () => {
  let server: ServerProcess;
  let uri: string;
  beforeAll(async () => {
    ({
      uri,
      servers: [server],
    } = await startServers(1, 'live_slow', {
      SUBSCRIPTION_QUEUE_LIMIT: String(LIMIT),
      // The paused subscriber answers no ping: the keep-alive must not drop it first on a busy host.
      WS_KEEPALIVE_SECONDS: '300',
    }));
  }, 60_000);
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it(`is ended with SLOW_CONSUMER once more than ${LIMIT} changes wait for it; the server's queues and heap stay bounded`, async () => {
    const base = server.url.replace(/\/graphql$/, '');
    const t = (
      await gql<{ createTicket: { id: string; ticketNumber: string } }>(server.url, CREATE, {
        input: ticketInput({ description: DESCRIPTION }),
      })
    ).body.data!.createTicket;
    const slow = await subscriber(server.url);
    const client = await MongoClient.connect(uri);
    const events = client.db().collection('ticket_events');
    const write = (n: number, from: number) =>
      events.insertMany(
        Array.from({ length: n }, (_, i) => ({
          _id: new Types.ObjectId(),
          ticketId: new Types.ObjectId(t.id),
          kind: 'AGENT_RESPONSE',
          at: new Date(),
          message: `${from + i} ${MESSAGE}`,
          ticketSeq: from + i,
          pending: true,
        })),
      );
    let sampling = true;
    let sampler: Promise<void> = Promise.resolve();
    let flood: Promise<void> = Promise.resolve();
    try {
      // It is live: the next change reaches it.
      await write(1, 1);
      await until(
        () => slow.received.some((m) => m.type === 'next' && m.payload.data.ticketChanged.event.message),
        15_000,
      );
      const heapBefore = await metric(base, 'nodejs_heap_size_used_bytes');

      slow.socket.pause();
      let longest = 0;
      let heapPeak = heapBefore;
      sampler = (async () => {
        while (sampling) {
          longest = Math.max(longest, await metric(base, 'graphql_subscription_queue_longest'));
          heapPeak = Math.max(heapPeak, await metric(base, 'nodejs_heap_size_used_bytes'));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      flood = (async () => {
        for (let i = 0; i < EVENTS; i += 500) await write(Math.min(500, EVENTS - i), 2 + i);
      })();
      // The server ends it while the changes flow (the keep-alive, which would drop
      // a socket that does not answer pings, is set far longer here).
      const t0 = Date.now();
      while ((await metric(base, 'graphql_subscriptions_slow_consumer_total')) < 1) {
        if (Date.now() - t0 > 10_000) throw new Error('the paused subscriber was not ended within 10 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      console.log(`paused subscriber ended ${Date.now() - t0} ms into the flood`);
      // Reading again, it finds what was already on its way, then the error (no "complete", nothing after).
      slow.socket.resume();
      await until(() => slow.received.some((m) => m.type === 'error'), 15_000);
      await new Promise((r) => setTimeout(r, 500));
      const error = slow.received.find((m) => m.type === 'error')!;
      expect(error.id).toBe('feed');
      expect(error.payload[0].extensions).toMatchObject({ code: 'SLOW_CONSUMER', limit: LIMIT });
      expect(error.payload[0].message).toMatch(/ticketChanges/);
      expect(slow.received.indexOf(error)).toBe(slow.received.length - 1);
      const nexts = slow.received.filter((m) => m.type === 'next');
      expect(nexts.length).toBeLessThan(1 + EVENTS);
      // What it did get is in feed order, without gaps, up to where it fell behind.
      const numbers = nexts.flatMap((m) => {
        const message = m.payload.data.ticketChanged.event.message;
        return message ? [Number(message.split(' ')[0])] : [];
      }); // not the ticket's CREATED
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
      expect(await metric(base, 'graphql_subscriptions_active')).toBe(0);

      // The rest of the flood: every change claimed, read by the server's reader, nothing kept.
      await flood;
      const t1 = Date.now();
      while (await events.countDocuments({ pending: true })) {
        if (Date.now() - t1 > 60_000) throw new Error('the feed did not claim the flood within 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1_000));
      sampling = false;
      await sampler;

      console.log(
        `paused subscriber: ended after ${nexts.length} of ${1 + EVENTS} changes (${(slow.bytes() / 1e6).toFixed(1)} MB had reached it); longest queue seen ${longest} (bound ${LIMIT}); server heap ${(heapBefore / 1e6).toFixed(0)} MB before, at most ${(heapPeak / 1e6).toFixed(0)} MB while ${((EVENTS * (DESCRIPTION.length + MESSAGE.length)) / 1e6).toFixed(0)} MB of changes went by`,
      );
      // What the server keeps for it never exceeds the bound (unbounded, the queue grows with the flood and nobody is ended: see above).
      expect(longest).toBeLessThanOrEqual(LIMIT);
      expect(await metric(base, 'graphql_subscriptions_slow_consumer_total')).toBe(1);
      // A sanity bound on the heap (its samples include garbage not yet collected).
      expect(heapPeak - heapBefore).toBeLessThan(48e6);
      expect(server.child.exitCode).toBeNull();
    } finally {
      sampling = false;
      await sampler.catch(() => undefined);
      await flood.catch(() => undefined);
      await client.close();
      slow.ws.terminate();
      await slow.closed;
    }
  }, 120_000);
});
