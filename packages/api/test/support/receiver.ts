// A webhook receiver on 127.0.0.1 for tests: records every request and
// answers as told (a status per request, or a delay).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
  at: number;
}

export class Receiver {
  readonly requests: Received[] = [];
  /** Status for the next requests, in order; 200 once used up. */
  script: number[] = [];
  delayMs = 0;
  /** While true, answers wait for release(): a receiver as slow as a test needs, without a clock. */
  holding = false;
  /** The most requests that were ever being answered at once. */
  maxInFlight = 0;
  private inFlight = 0;
  private held: (() => void)[] = [];
  private server?: http.Server;

  /** Lets every held answer go, and answers at once from now on. */
  release(): void {
    this.holding = false;
    for (const go of this.held.splice(0)) go();
  }

  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => {
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      res.on('close', () => {
        this.inFlight--;
      });
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        const status = this.script.shift() ?? 200;
        this.requests.push({ path: req.url ?? '', headers: req.headers, body, status, at: Date.now() });
        const answer = () => res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
        if (this.holding) this.held.push(answer);
        else setTimeout(answer, this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  delivered(): Received[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  async until(check: () => boolean, limitMs = 20_000): Promise<void> {
    for (const t0 = Date.now(); !check(); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() - t0 > limitMs)
        throw new Error(`receiver: condition not met within ${limitMs} ms (${this.requests.length} requests)`);
    }
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.held.splice(0);
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}

/** A port nothing listens on (for "connection refused"), free to listen on later. */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
