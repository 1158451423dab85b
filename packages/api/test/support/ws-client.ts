// A graphql-transport-ws client on a raw socket (ws), for tests that need
// what the SDK hides: every message as sent, the bytes received, and a
// socket the test can stop reading (pause) to play a slow or stuck client.
import type { Socket } from 'node:net';
import WebSocket from 'ws';

export type WsMessage = { type: string; id?: string; payload?: any };

/** Polls `check` every 20 ms until it holds; throws after `limitMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  limitMs: number,
  what = 'condition',
): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > limitMs) throw new Error(`${what} not met within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface RawWsClient {
  ws: WebSocket;
  /** Every message received, parsed, in order. */
  received: WsMessage[];
  /** Resolves with the close code. */
  closed: Promise<number>;
  /** Bytes received so far. */
  bytes(): number;
  /** The TCP socket: pause() stops reading it (the kernel's buffers fill, then the server's). */
  socket: Socket;
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
}

/** Connects to the API at `url` (http://.../graphql), sends connection_init (with `authorization` when given) and waits for the ack. */
export async function connectRawWs(url: string, authorization?: string): Promise<RawWsClient> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const received: WsMessage[] = [];
  let bytes = 0;
  ws.on('message', (data: Buffer) => {
    bytes += data.length;
    received.push(JSON.parse(String(data)));
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} }));
  await until(() => received.some((m) => m.type === 'connection_ack'), 30_000, 'connection_ack');
  return {
    ws,
    received,
    closed,
    bytes: () => bytes,
    socket: (ws as unknown as { _socket: Socket })._socket,
    subscribe: (id, query, variables = {}) =>
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
  };
}

/**
 * Until `done` holds, for as long as `progress` keeps growing: fails only
 * when it stood still for `idleMs`. For a long stream on a busy host, where
 * a total limit would measure the host, not the code.
 */
export async function untilProgressing(
  progress: () => number,
  done: () => boolean,
  idleMs: number,
  what = 'condition',
): Promise<void> {
  let last = progress();
  let since = Date.now();
  while (!done()) {
    const now = progress();
    if (now !== last) [last, since] = [now, Date.now()];
    else if (Date.now() - since > idleMs) throw new Error(`${what}: no progress for ${idleMs} ms (at ${now})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
