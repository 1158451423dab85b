// One delivery attempt: POST the signed payload and say how it went. No
// redirects (node:http never follows them), 10 s for the whole attempt
// (name resolution included), the address checked before connecting and
// the connection made to that very address. The answer counts from its
// status line: the body is read for at most a few KiB and a moment, then
// dropped, so a receiver that trickles its body cannot hold the sender.
// Connections are kept alive between deliveries (one agent per name and
// checked address: a pooled socket is reused only for the address it was
// made to), and a secret's signing key is derived once, not per event.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Webhook as Signer } from 'standardwebhooks';
import { resolveHost } from './resolve-host';
import { hostOf, isPublicAddress } from './webhook-url';

export const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 4 * 1024;
/** How long the body of an answer is read (for nothing but a clean close) before the socket is dropped. */
const ANSWER_READ_MS = 500;

export interface Attempt {
  ok: boolean;
  /** HTTP status, when an answer came. */
  status?: number;
  /** Why it failed, in a line. */
  error?: string;
}

export interface Delivery {
  url: string;
  secret: string;
  /** The event id: the same on every retry. */
  id: string;
  body: string;
}

/** An idle kept-alive connection (unref'd: it holds no process open) is closed after this long; a webhook with work sends back to back. */
const IDLE_SOCKET_MS = 2_000;
/** Agents (and signers) kept at most: the oldest used goes first. */
const KEPT_MAX = 1_024;

const agents = new Map<string, http.Agent>();
const signers = new Map<string, Signer>();

/** Most recently used last; the oldest forgotten past KEPT_MAX. */
function kept<T>(cache: Map<string, T>, key: string, make: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const made = make();
  cache.set(key, made);
  if (cache.size > KEPT_MAX) cache.delete(cache.keys().next().value as string);
  return made;
}

/**
 * One keep-alive agent per scheme, name, port and checked address: a reused
 * socket goes where the last check said. No cap on its sockets: webhooks on
 * one receiver each have their own attempt in flight, never queued behind another's.
 */
const agentFor = (url: URL, address: string): http.Agent =>
  kept(
    agents,
    `${url.protocol}//${url.host}@${address}`,
    () =>
      url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS })
        : new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
    // Not destroyed: an attempt may be in flight on it; its idle sockets close themselves after IDLE_SOCKET_MS.
  );

const line = (err: NodeJS.ErrnoException) => `${err.code ?? 'error'}: ${err.message}`.slice(0, 300);

/** The address to connect to, or a refusal, within `budgetMs`. */
async function addressOf(
  host: string,
  allowPrivate: boolean,
  budgetMs: number,
): Promise<{ address: string } | { error: string }> {
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolveHost(host, budgetMs);
  } catch (err) {
    return { error: line(err as NodeJS.ErrnoException) };
  }
  const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a));
  if (refused)
    return {
      error: isIP(host)
        ? `refused: ${host} is not a public address`
        : `refused: ${host} resolves to a non-public address`,
    };
  return { address: addresses[0] };
}

/**
 * POST once; `abort` (the lease was lost) ends the attempt at once, and
 * `stillOurs` is asked once the connection is up, right before the request
 * is written: false abandons it unsent.
 */
export async function send(
  d: Delivery,
  allowPrivate: boolean,
  now = new Date(),
  abort?: AbortSignal,
  stillOurs?: () => boolean,
): Promise<Attempt> {
  const started = performance.now();
  const url = new URL(d.url);
  const target = await addressOf(hostOf(url), allowPrivate, ATTEMPT_TIMEOUT_MS);
  if ('error' in target) return { ok: false, error: target.error };
  const left = ATTEMPT_TIMEOUT_MS - (performance.now() - started);
  if (left <= 0) return { ok: false, error: `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` };
  const signature = kept(signers, d.secret, () => new Signer(d.secret)).sign(d.id, now, d.body);
  const agent = agentFor(url, target.address);
  const first = await post(url, target.address, agent, d, now, signature, left, abort, stillOurs);
  // A kept connection the receiver had closed meanwhile fails before any answer: once more on a new one.
  if (first.stale && !abort?.aborted) {
    const rest = ATTEMPT_TIMEOUT_MS - (performance.now() - started);
    if (rest > 0) return (await post(url, target.address, agent, d, now, signature, rest, abort, stillOurs)).attempt;
  }
  return first.attempt;
}

async function post(
  url: URL,
  address: string,
  agent: http.Agent,
  d: Delivery,
  now: Date,
  signature: string,
  left: number,
  abort?: AbortSignal,
  stillOurs?: () => boolean,
): Promise<{ attempt: Attempt; stale?: boolean }> {
  const family = isIP(address);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolveAll) => {
    const resolve = (attempt: Attempt, stale?: boolean) => resolveAll({ attempt, stale });
    let settled = false;
    let answered = false;
    const done = (a: Attempt, stale?: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
      resolve(a, stale);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        // The name was resolved and checked above: connect to that address, nothing else.
        lookup: ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) =>
          options.all ? callback(null, [{ address, family }]) : callback(null, address, family)) as never,
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(d.body),
          'user-agent': 'ticket-api-webhooks/1',
          'webhook-id': d.id,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signature,
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        answered = true;
        done(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` });
        // The status decided it; read a little of the body so the close is clean, then drop it.
        let read = 0;
        const drop = setTimeout(() => res.destroy(), ANSWER_READ_MS);
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        res.on('close', () => clearTimeout(drop));
        res.on('error', () => {});
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ ok: false, error: `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` });
    }, left);
    const onAbort = () => {
      req.destroy();
      done({ ok: false, error: 'abandoned: the lease was lost' });
    };
    if (abort?.aborted) return onAbort();
    abort?.addEventListener('abort', onAbort);
    req.on('error', (err: NodeJS.ErrnoException) =>
      done(
        { ok: false, error: line(err) },
        req.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE'),
      ),
    );
    // Nothing is written before the connection is up and the lease still ours.
    req.once('socket', (socket) => {
      const write = () => {
        if (settled) return;
        if (stillOurs && !stillOurs()) return onAbort();
        req.end(d.body);
      };
      // A kept socket is up (and its TLS handshake long done): it fires neither event again.
      if (req.reusedSocket) write();
      else if (url.protocol === 'https:') socket.once('secureConnect', write);
      else if (socket.connecting) socket.once('connect', write);
      else write();
    });
  });
}
