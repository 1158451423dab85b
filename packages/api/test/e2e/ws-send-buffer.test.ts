// What one WebSocket client can make the server hold: a client that stops
// reading but keeps sending. Pings with 60 KB payloads (no token needed)
// get pongs without payload, so nothing piles up; big results it asked for
// and does not read get its socket closed once more than 1 MiB waits for
// it; one that answers no ping at all is dropped after the keep-alive. A
// real API process, a raw WebSocket (ws) whose socket the test pauses; the
// server's largest send buffer and its subscriptions read from /metrics.
import { AGENT_TOKEN, CREATE, gql, metricsAuth, ticketInput } from '../support/api';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';
import { connectRawWs as connect, until } from '../support/ws-client';

const CAP = 1024 * 1024;

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, metricsAuth)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}

const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: the WebSocket buffer test needs the build (npm test runs it first)');

describeBuilt('a WebSocket client that stops reading', () => {
  let server: ServerProcess;
  let base: string;
  beforeAll(async () => {
    ({
      servers: [server],
    } = await startServers(1, 'ws_send_buffer'));
    base = server.url.replace(/\/graphql$/, '');
  }, 60_000);
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it('400 pings of 60 KB, no token: pongs come without payload and the server buffers next to nothing', async () => {
    const c = await connect(server.url);
    try {
      c.socket.pause();
      const payload = { pad: 'p'.repeat(60_000) };
      for (let i = 0; i < 400; i++) c.ws.send(JSON.stringify({ type: 'ping', payload }));
      await new Promise<void>((resolve, reject) =>
        c.ws.send(JSON.stringify({ type: 'ping' }), (err) => (err ? reject(err) : resolve())),
      );
      // The server has read them all once it answered the last (seen after resuming); meanwhile its buffer stays small.
      await new Promise((r) => setTimeout(r, 1_000));
      const largest = await metric(base, 'graphql_ws_send_buffer_largest_bytes');
      c.socket.resume();
      await until(() => c.received.filter((m) => m.type === 'pong').length === 401, 15_000);
      console.log(
        `pings: the server's largest send buffer ${largest} bytes; ${c.bytes()} bytes of pongs reached the client`,
      );
      expect(largest).toBeLessThan(64 * 1024);
      expect(c.received.filter((m) => m.type === 'pong' && m.payload !== undefined)).toEqual([]);
      expect(c.bytes()).toBeLessThan(401 * 32);
      expect(c.ws.readyState).toBe(c.ws.OPEN);
    } finally {
      c.ws.terminate();
      await c.closed;
    }
  }, 60_000);

  it(`big results it does not read: its socket is closed once more than ${CAP} bytes wait, and the server's buffer never holds much more`, async () => {
    const description = 'd'.repeat(20_000);
    for (let i = 0; i < 50; i++)
      expect((await gql(server.url, CREATE, { input: ticketInput({ description }) })).body.errors).toBeUndefined();
    const c = await connect(server.url, `Bearer ${AGENT_TOKEN}`);
    let sampling = true;
    let largest = 0;
    const sampler = (async () => {
      while (sampling) {
        largest = Math.max(largest, await metric(base, 'graphql_ws_send_buffer_largest_bytes'));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      c.socket.pause();
      // 15 listings of 50 tickets (about 1 MB each): far more than the socket buffers take.
      const listing = { query: 'query { tickets(first: 50) { edges { node { ticketNumber description } } } }' };
      for (let i = 0; i < 15; i++) c.ws.send(JSON.stringify({ id: `q${i}`, type: 'subscribe', payload: listing }));
      await until(async () => (await metric(base, 'graphql_ws_closed_unread_total')) >= 1, 20_000);
      c.socket.resume();
      await c.closed;
      await until(async () => (await metric(base, 'graphql_ws_send_buffer_largest_bytes')) === 0, 10_000);
      sampling = false;
      await sampler;
      const closedByCap = await metric(base, 'graphql_ws_closed_unread_total');
      console.log(
        `results: socket closed after ${(c.bytes() / 1e6).toFixed(1)} MB reached the client; the server's largest send buffer seen ${(largest / 1e6).toFixed(2)} MB`,
      );
      expect(closedByCap).toBe(1);
      // At most the cap plus one result (each send checks first).
      expect(largest).toBeLessThan(CAP + 1.2e6);
      expect(c.received.filter((m) => m.type === 'next').length).toBeLessThan(15);
      expect(server.child.exitCode).toBeNull();
    } finally {
      sampling = false;
      await sampler.catch(() => undefined);
      c.ws.terminate();
      await c.closed;
    }
  }, 90_000);
});

describeBuilt('a WebSocket client that answers no ping (WS_KEEPALIVE_SECONDS)', () => {
  const KEEPALIVE = 5;
  let server: ServerProcess;
  let base: string;
  beforeAll(async () => {
    ({
      servers: [server],
    } = await startServers(1, 'ws_keepalive', { WS_KEEPALIVE_SECONDS: String(KEEPALIVE) }));
    base = server.url.replace(/\/graphql$/, '');
  }, 60_000);
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it('is dropped (its subscription ends, no close frame: 1006); one that reads stays', async () => {
    const reading = await connect(server.url, `Bearer ${AGENT_TOKEN}`);
    const connected = Date.now();
    let pings = 0;
    reading.ws.on('ping', () => pings++);
    const deaf = await connect(server.url, `Bearer ${AGENT_TOKEN}`);
    for (const c of [reading, deaf]) c.subscribe('feed', 'subscription { ticketChanged { cursor } }');
    await until(async () => (await metric(base, 'graphql_subscriptions_active')) === 2, 30_000, 'both subscribed');
    let readingClosed: number | undefined;
    void reading.closed.then((code) => (readingClosed = code));
    // The setting reaches the server: a first ping after 5 s, where graphql-ws's own default sends none before 12 s.
    await until(() => pings >= 1, 11_000 - (Date.now() - connected), 'a ping before the default keep-alive');
    // Its socket unread, the server's pings go unanswered: the server drops it, and its subscription with it.
    deaf.socket.pause();
    await until(async () => (await metric(base, 'graphql_subscriptions_active')) <= 1, 60_000, 'a subscriber dropped');
    expect(readingClosed).toBeUndefined();
    deaf.socket.resume();
    expect(await Promise.race([deaf.closed, new Promise((r) => setTimeout(r, 15_000, 'still open'))])).toBe(1006);
    expect(await metric(base, 'graphql_subscriptions_active')).toBe(1);
    reading.ws.terminate();
    await reading.closed;
  }, 90_000);
});
