// Graceful stop of the HTTP server: refuse new connections at once, let
// every request already received finish, then close what is left.
//
// http.Server#close() (Node >= 19) also drops "idle" connections at once,
// and a connection whose request bytes have arrived but are not parsed yet
// counts as idle: those requests would be reset. So: stop listening at the
// net level, answer in-flight requests with `Connection: close`, and only
// close idle keep-alive sockets after a short linger. A handler can outlive
// its connection (the client gave up mid-request): its work is tracked too,
// so the database is not closed under a create half-way through.
import net from 'node:net';
import type http from 'node:http';

const LINGER_MS = 500;

export interface Drain {
  /** True once drain() began: responses should then close their connection. */
  readonly draining: boolean;
  /** Resolves when every connection is closed and all tracked work is done (forced after graceMs). */
  drain(graceMs: number): Promise<void>;
  /** Work drain() waits for, even when its connection is gone. */
  track<T>(work: Promise<T>): Promise<T>;
}

export function createDrain(server: http.Server): Drain {
  let draining = false;
  const work = new Set<Promise<unknown>>();
  return {
    get draining() {
      return draining;
    },
    track(promise) {
      work.add(promise);
      const done = () => {
        work.delete(promise);
      };
      promise.then(done, done);
      return promise;
    },
    async drain(graceMs) {
      if (draining || !server.listening) return;
      draining = true;
      const deadline = Date.now() + graceMs;
      await new Promise<void>((resolve) => {
        const timers: NodeJS.Timeout[] = [];
        net.Server.prototype.close.call(server, () => {
          timers.forEach(clearTimeout);
          clearInterval(sweeper);
          // Every connection is gone: http's own close() now only stops the timer Node's http server
          // checks its connections with (started at listen; net's close leaves it running for ever,
          // holding this server and all it reaches: one more API's worth of memory each time one stops).
          server.close();
          resolve();
        });
        let sweeper: NodeJS.Timeout | undefined;
        timers.push(
          setTimeout(() => {
            sweeper = setInterval(() => server.closeIdleConnections(), 100);
            server.closeIdleConnections();
          }, LINGER_MS),
        );
        timers.push(setTimeout(() => server.closeAllConnections(), graceMs));
      });
      // Handlers whose clients left: give them what is left of the grace.
      while (work.size && Date.now() < deadline) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...work]),
          new Promise((r) => {
            timer = setTimeout(r, deadline - Date.now());
          }),
        ]);
        clearTimeout(timer);
      }
    },
  };
}
