// Graceful stop of the HTTP server: refuse new connections at once, let
// every request already received finish, then close what is left.
//
// http.Server#close() (Node >= 19) also drops "idle" connections at once,
// and a connection whose request bytes have arrived but are not parsed yet
// counts as idle: those requests would be reset. So: stop listening at the
// net level, answer in-flight requests with `Connection: close`, and only
// close idle keep-alive sockets after a short linger.
import net from 'node:net';
import type http from 'node:http';

const LINGER_MS = 500;

export interface Drain {
  /** True once drain() began: responses should then close their connection. */
  readonly draining: boolean;
  /** Resolves when every connection is closed (forced after graceMs). */
  drain(graceMs: number): Promise<void>;
}

export function createDrain(server: http.Server): Drain {
  let draining = false;
  return {
    get draining() {
      return draining;
    },
    drain(graceMs) {
      if (draining || !server.listening) return Promise.resolve();
      draining = true;
      return new Promise<void>((resolve) => {
        const timers: NodeJS.Timeout[] = [];
        net.Server.prototype.close.call(server, () => {
          timers.forEach(clearTimeout);
          clearInterval(sweeper);
          resolve();
        });
        let sweeper: NodeJS.Timeout | undefined;
        timers.push(setTimeout(() => { sweeper = setInterval(() => server.closeIdleConnections(), 100); server.closeIdleConnections(); }, LINGER_MS));
        timers.push(setTimeout(() => server.closeAllConnections(), graceMs));
      });
    },
  };
}
