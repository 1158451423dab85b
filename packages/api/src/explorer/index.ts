// The bundled explorer (GraphiQL from npm, built by packages/web into
// dist/explorer) at /explorer, outside production like the Apollo Sandbox
// at /graphql, which needs Apollo's CDN; this one needs nothing but this
// server. The Sandbox's "cannot be loaded" page links here (withExplorerLink).
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { ApolloServerPlugin } from '@apollo/server';
import { EXAMPLE_OPERATION } from '../http/example-operation';

/** packages/web/dist/explorer, from src/explorer (ts) and dist/explorer (js) alike. */
export const EXPLORER_DIR = path.resolve(__dirname, '../../../web/dist/explorer');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

export interface Explorer {
  /** Answers GET /explorer and its files; false for any other request. */
  route(req: IncomingMessage, res: ServerResponse, urlPath: string): Promise<boolean>;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, cache: string): void {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.setHeader('cache-control', cache);
  res.end(body);
}

export function createExplorer({ production, dir = EXPLORER_DIR }: { production: boolean; dir?: string }): Explorer {
  return {
    async route(req, res, urlPath) {
      if (production || (urlPath !== '/explorer' && !urlPath.startsWith('/explorer/'))) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      if (urlPath === '/explorer') {
        res.statusCode = 308;
        res.setHeader('location', '/explorer/');
        res.end();
        return true;
      }
      const rest = urlPath.slice('/explorer/'.length);
      if (rest === 'example.graphql') {
        send(res, 200, 'text/plain; charset=utf-8', EXAMPLE_OPERATION, 'no-cache');
        return true;
      }
      // Only names the build wrote: no path segments, no dot files.
      const name = rest === '' ? 'index.html' : rest;
      if (!/^(assets\/)?[\w.-]+$/.test(name) || name.includes('..')) return false;
      const file = path.join(dir, name);
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        if (name !== 'index.html') return false;
        send(res, 503, 'text/plain; charset=utf-8', 'The explorer is not built: run npm run build.\n', 'no-store');
        return true;
      }
      // Hashed asset names never change content; the page itself is checked each time.
      send(
        res,
        200,
        TYPES[path.extname(name)] ?? 'application/octet-stream',
        body,
        name.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      return true;
    },
  };
}

const OFFLINE = 'cannot be loaded; it appears that you might be offline.</p>';

/** The Sandbox landing page, with a link to the bundled explorer where it says it cannot load. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any context: the landing page plugin is context-free
export function withExplorerLink<T extends ApolloServerPlugin<any>>(plugin: T): T {
  const serverWillStart = plugin.serverWillStart?.bind(plugin);
  if (!serverWillStart) return plugin;
  return {
    ...plugin,
    async serverWillStart(service) {
      const listener = await serverWillStart(service);
      const render = listener?.renderLandingPage?.bind(listener);
      if (!listener || !render) return listener;
      return {
        ...listener,
        async renderLandingPage() {
          const page = await render();
          const link = '<p><a href="/explorer/">Open the bundled explorer instead: it works offline.</a></p>';
          const html = page.html;
          return {
            ...page,
            html:
              typeof html === 'string'
                ? html.split(OFFLINE).join(`${OFFLINE}\n  ${link}`)
                : async () => (await html()).split(OFFLINE).join(`${OFFLINE}\n  ${link}`),
          };
        },
      };
    },
  };
}
