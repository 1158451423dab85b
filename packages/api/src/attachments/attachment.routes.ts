// The byte side of attachments, outside GraphQL:
//   PUT /uploads/<id>?expires&signature       the upload (once)
//   GET /attachments/<id>?expires&signature   the download (or a tickets:read bearer token)
// Downloads are always `attachment`, nosniff and sandboxed: never rendered
// as a page of this origin.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { create as contentDisposition } from 'content-disposition';
import { addressKey } from '../http/rate-limit';
import type { Logger } from '../logging/logger';
import type { Principal } from '../tokens/scopes';
import type { AttachmentService } from './attachment.service';
import { TEXT } from './content-types';
import { Refusal } from './refusal';

const UPLOAD = /^\/uploads\/([^/]+)$/;
const DOWNLOAD = /^\/attachments\/([^/]+)$/;

export interface AttachmentHttpOptions {
  service: AttachmentService;
  /** Throws RATE_LIMITED once the address spent its invalid budget: a token is then not even checked. */
  refuseIfSpent?(ip: string): Promise<void>;
  /** The caller of a bearer token (a bad one costs the address like an invalid document, http/app.ts). */
  principalOf(authorization: string | undefined, ip: string): Promise<Principal | null>;
  ipOf(req: IncomingMessage): string;
  /** A download may go this long without the client taking a byte. */
  idleTimeoutMs: number;
  /** Downloads one address may have running in this process. */
  maxDownloadsPerAddress: number;
  /** Downloads this process runs at once, all addresses together: each may hold memory for a slow reader. */
  maxDownloads: number;
  log: Logger;
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

function refuse(res: ServerResponse, refusal: Refusal, req: IncomingMessage): void {
  // Whatever of the body is still coming is not read: close instead of draining it.
  if (!req.readableEnded) res.setHeader('connection', 'close');
  answer(res, refusal.status, { error: refusal.reason, message: refusal.message });
}

/** The handler: true when the path was one of ours (answered), false to let the app go on. */
export function attachmentRoutes({
  service,
  principalOf,
  refuseIfSpent,
  ipOf,
  idleTimeoutMs,
  maxDownloadsPerAddress,
  maxDownloads,
  log,
}: AttachmentHttpOptions) {
  /** Running downloads by address: a slow reader holds memory, so an address may hold only a few... */
  const running = new Map<string, number>();
  /** ...and the process only so many from all addresses. */
  let runningTotal = 0;

  async function upload(req: IncomingMessage, res: ServerResponse, id: string, query: URLSearchParams): Promise<void> {
    try {
      const stored = await service.receive(
        id,
        query.get('expires'),
        query.get('signature'),
        req.headers['content-length'],
        req,
      );
      answer(res, 201, { attachmentId: String(stored._id), size: stored.size, contentType: stored.contentType });
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      if (err.reason === 'aborted') return void res.destroy();
      refuse(res, err, req);
    }
  }

  async function download(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    query: URLSearchParams,
  ): Promise<void> {
    const ip = ipOf(req);
    const link = service.checkLink(id, query.get('expires'), query.get('signature'));
    if (link !== 'ok') {
      let principal: Principal | null = null;
      try {
        // An address that spent its invalid budget (bad tokens here or on /graphql) is refused before any token is looked up.
        if (req.headers.authorization && refuseIfSpent) await refuseIfSpent(ip);
        principal = req.headers.authorization ? await principalOf(req.headers.authorization, ip) : null;
      } catch (err) {
        const code = (err as { extensions?: { code?: unknown; retryAfter?: unknown } }).extensions;
        if (code?.code === 'RATE_LIMITED') {
          res.setHeader('retry-after', String(code.retryAfter ?? 60));
          return answer(res, 429, {
            error: 'rate_limited',
            message: 'Too many requests with invalid tokens from this address; retry later.',
          });
        }
        log.warn({ err }, 'attachment download: token check failed');
        res.setHeader('retry-after', '5');
        return answer(res, 503, {
          error: 'unavailable',
          message: 'The service is temporarily unavailable; retry later.',
        });
      }
      if (!principal?.scopes.has('tickets:read'))
        return refuse(res, new Refusal(link === 'expired' ? 'gone' : 'forbidden'), req);
    }
    const address = addressKey(ip);
    const held = running.get(address) ?? 0;
    if (held >= maxDownloadsPerAddress) {
      res.setHeader('retry-after', '5');
      return answer(res, 429, {
        error: 'too_many_downloads',
        message: `At most ${maxDownloadsPerAddress} downloads at once from one address.`,
      });
    }
    if (runningTotal >= maxDownloads) {
      log.info(
        { running: runningTotal },
        'refused: attachment download, ATTACHMENT_MAX_DOWNLOADS running in this process',
      );
      res.setHeader('retry-after', '5');
      return answer(res, 503, { error: 'busy', message: 'Too many downloads running; retry shortly.' });
    }
    running.set(address, held + 1);
    runningTotal++;
    try {
      await send(req, res, id);
    } finally {
      runningTotal--;
      const left = (running.get(address) ?? 1) - 1;
      if (left > 0) running.set(address, left);
      else running.delete(address);
    }
  }

  async function send(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const found = await service.open(id);
    if (!found) return refuse(res, new Refusal('not_found'), req);
    const { attachment, bytes } = found;
    res.statusCode = 200;
    res.setHeader(
      'content-type',
      attachment.contentType === TEXT ? 'text/plain; charset=utf-8' : attachment.contentType,
    );
    res.setHeader('content-length', String(attachment.size));
    res.setHeader('content-disposition', contentDisposition(attachment.filename, { type: 'attachment' }));
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('content-security-policy', "sandbox; default-src 'none'");
    res.setHeader('cache-control', 'private, no-store');
    if (req.method === 'HEAD') {
      bytes.destroy();
      return void res.end();
    }
    // A client that stops taking bytes is cut off: what waits for it is held in memory.
    const idle = setTimeout(() => res.destroy(), idleTimeoutMs);
    const progress = () => idle.refresh();
    try {
      const done = pipeline(bytes, res);
      bytes.on('data', progress);
      await done;
    } catch (err) {
      // A client that goes away mid-download is not an error of ours.
      if (!res.destroyed) log.warn({ err }, 'attachment download failed');
      res.destroy();
    } finally {
      clearTimeout(idle);
    }
  }

  return async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const up = UPLOAD.exec(path);
    if (up && req.method === 'PUT') return upload(req, res, up[1], query).then(() => true);
    const down = DOWNLOAD.exec(path);
    if (down && (req.method === 'GET' || req.method === 'HEAD'))
      return download(req, res, down[1], query).then(() => true);
    return false;
  };
}
