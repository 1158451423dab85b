// The reference web client (packages/web, built by `npm start`), served by
// the API itself outside production, so one command gives a newcomer the
// create and track pages and the agents' inbox on the API's own origin.
// Production serves it from wherever the deployment serves static files
// (or WEB_CLIENT=on). Same headers as `vite preview` (packages/web/vite.config.ts).
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

/** Where `npm run build` puts the web client, from packages/api/dist/http. */
export const WEB_DIST = resolve(__dirname, '../../../web/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The pages of the single-page app; anything else that is not a file is a 404. */
const PAGE = /^\/((create|track|agent)(\/[\w-]*)*)?$/;

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export type WebRoute = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/** Whether the client is built (the ready line lists its pages then). */
export const webClientBuilt = (dir: string = WEB_DIST): boolean => existsSync(join(dir, 'index.html'));

/** A route for the built client in `dir`, or null when it is not built. */
export function webClientRoute(dir: string = WEB_DIST): WebRoute | null {
  const root = resolve(dir);
  if (!webClientBuilt(root)) return null;
  return (req, res, path) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let file: string | null = null;
    const candidate = resolve(root, `.${decodeURIComponentSafe(path)}`);
    if (candidate.startsWith(root + sep) && !candidate.slice(root.length).includes(`${sep}.`) && isFile(candidate))
      file = candidate;
    else if (PAGE.test(path)) file = join(root, 'index.html');
    if (!file) return false;
    res.statusCode = 200;
    res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-frame-options', 'DENY');
    // Built assets carry a content hash in their names; the pages do not.
    res.setHeader(
      'cache-control',
      file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-store',
    );
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
    return true;
  };
}

function decodeURIComponentSafe(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return '/\0';
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
