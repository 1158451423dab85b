// What one WebSocket may make the server hold for it. graphql-ws sends each
// result on its own and answers every client ping with a pong; a client
// that stops reading while it keeps sending would otherwise grow the
// socket's send buffer without bound (pings echoing 64 KB payloads need no
// token at all). So: pongs carry no payload, and a socket whose unsent
// bytes pass the cap is closed (1008) instead of given more.
import type { WebSocket } from 'ws';

/** The most bytes a socket may have waiting to be sent (a client that does not read what it asked for). */
export const SEND_BUFFER_CAP = 1024 * 1024;
/** A closed socket whose client never reads the close frame is dropped after this long. */
const TERMINATE_AFTER_MS = 1_000;
/** Policy violation: the client does not read what it makes the server send. */
export const CLOSE_UNREAD = 1008;

const PONG_PREFIX = '{"type":"pong"';
const BARE_PONG = '{"type":"pong"}';

/**
 * Wrap the socket's send (graphql-ws sends through it) and watch what the
 * client sends: every message it sends and every message sent to it first
 * checks the socket's unsent bytes. `onClosed` runs once when the cap closes it.
 */
export function capSendBuffer(socket: WebSocket, onClosed: () => void, cap = SEND_BUFFER_CAP): void {
  let closing = false;
  const overCap = (): boolean => {
    if (closing) return true;
    if (socket.bufferedAmount <= cap) return false;
    closing = true;
    socket.close(CLOSE_UNREAD, 'Policy violation: the client does not read what is sent');
    // Its close frame waits behind what the client does not read: free the buffer soon regardless.
    setTimeout(() => socket.terminate(), TERMINATE_AFTER_MS).unref();
    onClosed();
    return true;
  };
  const send = socket.send.bind(socket) as (data: unknown, options?: unknown, cb?: (err?: Error) => void) => void;
  socket.send = ((data: unknown, options?: unknown, cb?: (err?: Error) => void) => {
    const callback = typeof options === 'function' ? (options as (err?: Error) => void) : cb;
    if (overCap()) {
      callback?.();
      return;
    }
    // A ping's payload is not echoed: a pong is the same few bytes whatever the client sent.
    const out = typeof data === 'string' && data.startsWith(PONG_PREFIX) ? BARE_PONG : data;
    if (typeof options === 'function') send(out, options as (err?: Error) => void);
    else send(out, options, cb);
  }) as WebSocket['send'];
  socket.on('message', () => void overCap());
}
