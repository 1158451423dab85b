// The byte side of attachments, outside GraphQL:
//   PUT /uploads/<id>?expires&signature       the upload (once)
//   GET /attachments/<id>?expires&signature   the download (or a tickets:read bearer token)
// Downloads are always `attachment`, nosniff and sandboxed: never rendered
// as a page of this origin.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { create as contentDisposition } from 'content-disposition';
import type { Logger } from '../logging/logger';
import type { Principal } from '../tokens/scopes';
import type { AttachmentService } from './attachment.service';
import { TEXT } from './content-types';
import { Refusal } from './refusal';

const UPLOAD = /^\/uploads\/([^/]+)$/;
const DOWNLOAD = /^\/attachments\/([^/]+)$/;

export interface AttachmentHttpOptions {
  service: AttachmentService;
  authenticate(authorization: string | undefined): Promise<Principal | null>;
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
export function attachmentRoutes({ service, authenticate, log }: AttachmentHttpOptions) {
  async function upload(req: IncomingMessage, res: ServerResponse, id: string, query: URLSearchParams): Promise<void> {
    try {
      const stored = await service.receive(id, query.get('expires'), query.get('signature'), req.headers['content-length'], req);
      answer(res, 201, { attachmentId: String(stored._id), size: stored.size, contentType: stored.contentType });
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      if (err.reason === 'aborted') return void res.destroy();
      refuse(res, err, req);
    }
  }

  async function download(req: IncomingMessage, res: ServerResponse, id: string, query: URLSearchParams): Promise<void> {
    const link = service.checkLink(id, query.get('expires'), query.get('signature'));
    if (link !== 'ok') {
      const principal = req.headers.authorization ? await authenticate(req.headers.authorization) : null;
      if (!principal?.scopes.has('tickets:read')) return refuse(res, new Refusal(link === 'expired' ? 'gone' : 'forbidden'), req);
    }
    const found = await service.open(id);
    if (!found) return refuse(res, new Refusal('not_found'), req);
    const { attachment, bytes } = found;
    res.statusCode = 200;
    res.setHeader('content-type', attachment.contentType === TEXT ? 'text/plain; charset=utf-8' : attachment.contentType);
    res.setHeader('content-length', String(attachment.size));
    res.setHeader('content-disposition', contentDisposition(attachment.filename, { type: 'attachment' }));
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('content-security-policy', "sandbox; default-src 'none'");
    res.setHeader('cache-control', 'private, no-store');
    if (req.method === 'HEAD') {
      bytes.destroy();
      return void res.end();
    }
    try {
      await pipeline(bytes, res);
    } catch (err) {
      // A client that goes away mid-download is not an error of ours.
      if (!res.destroyed) log.warn({ err }, 'attachment download failed');
      res.destroy();
    }
  }

  return async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const up = UPLOAD.exec(path);
    if (up && req.method === 'PUT') return upload(req, res, up[1], query).then(() => true);
    const down = DOWNLOAD.exec(path);
    if (down && (req.method === 'GET' || req.method === 'HEAD')) return download(req, res, down[1], query).then(() => true);
    return false;
  };
}
