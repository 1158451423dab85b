// One delivery attempt: POST the signed payload and say how it went. No
// redirects (node:http never follows them), 10 s for the whole attempt, at
// most a few KiB of the answer read, the address checked at connect time.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Webhook as Signer } from 'standardwebhooks';
import { guardedLookup, hostOf, isPublicAddress } from './webhook-url';

export const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 4 * 1024;

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

export function send(d: Delivery, allowPrivate: boolean, now = new Date()): Promise<Attempt> {
  const url = new URL(d.url);
  // Literal addresses never reach the lookup: check them here.
  const host = hostOf(url);
  if (!allowPrivate && isIP(host) && !isPublicAddress(host)) return Promise.resolve({ ok: false, error: `refused: ${host} is not a public address` });
  const signature = new Signer(d.secret).sign(d.id, now, d.body);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<Attempt>((resolve) => {
    let settled = false;
    const done = (a: Attempt) => { if (!settled) { settled = true; clearTimeout(timer); resolve(a); } };
    const req = client.request(url, {
      method: 'POST',
      lookup: guardedLookup(allowPrivate),
      agent: false,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(d.body),
        'user-agent': 'ticket-api-webhooks/1',
        'webhook-id': d.id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signature,
      },
    }, (res) => {
      const status = res.statusCode ?? 0;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy(); // the answer does not matter past its status
      });
      const finish = () => done(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` });
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    const timer = setTimeout(() => { req.destroy(); done({ ok: false, error: `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` }); }, ATTEMPT_TIMEOUT_MS);
    req.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, error: err.code === 'EREFUSEDADDRESS' ? err.message : `${err.code ?? 'error'}: ${err.message}`.slice(0, 300) }));
    req.end(d.body);
  });
}
