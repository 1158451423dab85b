// A ticketChanged subscriber that stops reading (its socket paused) while
// thousands of changes happen: the server keeps at most its bound waiting
// for it, ends the subscription with SLOW_CONSUMER, and its memory stays
// flat. A real API process, a real WebSocket client (ws), the queue sizes
// and heap read from /metrics.
import WebSocket from 'ws';
import { MongoClient } from 'mongodb';
import { Types } from 'mongoose';
import { AGENT_TOKEN, CREATE, gql, ticketInput } from '../support/api';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';

const LIMIT = 50;
const EVENTS = 3_000;
/** Each change carries a 16 KB message: 3 000 of them are far more than the socket buffers hold. */
const MESSAGE = 'x'.repeat(16_000);

type Message = { type: string; id?: string; payload?: any };

/** A graphql-transport-ws client on a raw socket, so the test can stop reading. */
async function subscriber(url: string) {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const received: Message[] = [];
  let bytes = 0;
  ws.on('message', (data: Buffer) => {
    bytes += data.length;
    received.push(JSON.parse(String(data)));
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${AGENT_TOKEN}` } }));
  await until(() => received.some((m) => m.type === 'connection_ack'), 10_000);
  ws.send(JSON.stringify({ id: 'feed', type: 'subscribe', payload: { query: 'subscription { ticketChanged { cursor event { id message } ticket { ticketNumber } } }' } }));
  return { ws, received, closed, bytes: () => bytes, socket: (ws as unknown as { _socket: import('node:net').Socket })._socket };
}

async function until(check: () => boolean, limitMs: number): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One number from the Prometheus text. */
async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
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
    ({ uri, servers: [server] } = await startServers(1, 'live_slow', { SUBSCRIPTION_QUEUE_LIMIT: String(LIMIT) }));
  }, 60_000);
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it(`is ended with SLOW_CONSUMER once more than ${LIMIT} changes wait for it; the server's queues and heap stay bounded`, async () => {
    const base = server.url.replace(/\/graphql$/, '');
    const t = (await gql<{ createTicket: { id: string; ticketNumber: string } }>(server.url, CREATE, { input: ticketInput() })).body.data!.createTicket;
    const slow = await subscriber(server.url);
    const fine = await subscriber(server.url); // reads everything: not ended
    // Both are live: the next change reaches them.
    const client = await MongoClient.connect(uri);
    const events = client.db().collection('ticket_events');
    const write = (n: number, from: number) =>
      events.insertMany(Array.from({ length: n }, (_, i) => ({ _id: new Types.ObjectId(), ticketId: new Types.ObjectId(t.id), kind: 'AGENT_RESPONSE', at: new Date(), message: `${from + i} ${MESSAGE}`, ticketSeq: from + i, pending: true })));
    try {
      await write(1, 1);
      await until(() => slow.received.some((m) => m.type === 'next') && fine.received.some((m) => m.type === 'next'), 15_000);
      const heapBefore = await metric(base, 'nodejs_heap_size_used_bytes');

      slow.socket.pause();
      let longest = 0;
      let heapPeak = heapBefore;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          longest = Math.max(longest, await metric(base, 'graphql_subscription_queue_longest'));
          heapPeak = Math.max(heapPeak, await metric(base, 'nodejs_heap_size_used_bytes'));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      for (let i = 0; i < EVENTS; i += 500) await write(500, 2 + i);
      // The one that reads gets every change; the paused one is ended meanwhile.
      await until(() => fine.received.filter((m) => m.type === 'next').length === 1 + EVENTS, 60_000);
      await until(() => true, 0);
      const ended = await metric(base, 'graphql_subscriptions_slow_consumer_total');
      sampling = false;
      await sampler;
      expect(ended).toBe(1);

      // Reading again, the slow one finds what was already on its way, then the error (no "complete", no more changes).
      slow.socket.resume();
      await until(() => slow.received.some((m) => m.type === 'error'), 15_000);
      const error = slow.received.find((m) => m.type === 'error')!;
      expect(error.id).toBe('feed');
      expect(error.payload[0].extensions).toMatchObject({ code: 'SLOW_CONSUMER', limit: LIMIT });
      const nexts = slow.received.filter((m) => m.type === 'next');
      expect(nexts.length).toBeLessThan(1 + EVENTS);
      expect(slow.received.indexOf(error)).toBe(slow.received.length - 1);
      // What it did get is in feed order, without gaps up to where it fell behind.
      const numbers = nexts.map((m) => Number(String(m.payload.data.ticketChanged.event.message).split(' ')[0]));
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
      expect(fine.received.some((m) => m.type === 'error')).toBe(false);

      console.log(`paused subscriber: ended after ${nexts.length} of ${1 + EVENTS} changes (${(slow.bytes() / 1e6).toFixed(1)} MB had reached it); longest queue seen ${longest} (bound ${LIMIT}); server heap ${(heapBefore / 1e6).toFixed(0)} MB before, at most ${(heapPeak / 1e6).toFixed(0)} MB during ${(EVENTS * MESSAGE.length / 1e6).toFixed(0)} MB of changes`);
      expect(longest).toBeLessThanOrEqual(LIMIT);
      // Unbounded, the paused subscriber alone would hold most of the 48 MB of changes.
      expect(heapPeak - heapBefore).toBeLessThan(32e6);
    } finally {
      await client.close();
      for (const s of [slow, fine]) {
        s.ws.terminate();
        await s.closed;
      }
    }
  }, 120_000);
});
