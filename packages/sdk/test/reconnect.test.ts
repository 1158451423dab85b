// subscribeToChanges across a dropped connection: the test's TCP relay
// between the SDK and a live API cuts every socket; the SDK reconnects by
// itself, calls observer.reconnected (not on the first connection), and
// changes flow again. (A change made during the drop is not sent again:
// that is why a reader re-reads on `reconnected`.)
import net from 'node:net';
import WebSocket from 'ws';
import { createClient, type LiveChange } from '../src';
import { AGENT_TOKEN, startTestApi, type TestApi } from '../../api/test/support/api';

let api: TestApi;
let relay: net.Server;
let relayUrl = '';
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  api = await startTestApi('sdk_reconnect');
  const target = new URL(api.url);
  relay = net.createServer((inbound) => {
    const outbound = net.connect(Number(target.port), target.hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  relayUrl = `ws://127.0.0.1:${(relay.address() as net.AddressInfo).port}/graphql`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => relay.close(r));
  await api.stop();
});

async function until(check: () => boolean, what: string, limitMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('says "reconnected" after a drop (only then), and goes on delivering changes', async () => {
  const agent = createClient({ url: api.url, wsUrl: relayUrl, token: AGENT_TOKEN, webSocketImpl: WebSocket });
  const writer = createClient({ url: api.url });
  const seen: string[] = [];
  let reconnected = 0;
  const errors: unknown[] = [];
  const stop = agent.subscribeToChanges({
    next: (c: LiveChange) => seen.push(c.ticket.ticketNumber),
    reconnected: () => reconnected++,
    error: (e) => errors.push(e),
  });
  try {
    const probe = async () =>
      (await writer.createTicket({ customerEmail: 'a@example.com', subject: 'Probe', description: 'x' })).ticketNumber;
    /** Create tickets, a few hundred ms apart, until one of them arrives live (the feed may batch). */
    async function flowing(what: string): Promise<void> {
      const made: string[] = [];
      for (let i = 0; i < 40 && !made.some((n) => seen.includes(n)); i++) {
        made.push(await probe());
        await new Promise((r) => setTimeout(r, 300));
      }
      if (!made.some((n) => seen.includes(n)))
        throw new Error(`${what}: none of ${made.length} new tickets arrived live`);
    }
    await flowing('before the drop');
    expect(reconnected).toBe(0);

    for (const s of sockets) s.destroy();
    await probe(); // made while the connection is down: it may or may not arrive live, hence `reconnected`
    await until(() => reconnected === 1, 'reconnected');
    await flowing('after the reconnect');
    expect([reconnected, errors]).toEqual([1, []]);
  } finally {
    stop();
    await agent.close();
  }
});
