// The HTTP face of the API: /graphql (Apollo on Express), /healthz, and the
// plumbing around them (request ids, body limits, graceful drain).
import http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import mongoose from 'mongoose';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { Config } from '../config/config';
import { pingDatabase } from '../db/connection';
import { createFormatError, errorLogPlugin } from '../errors/format-error';
import type { Logger } from '../logging/logger';
import { TicketService } from '../tickets/ticket.service';
import { createTokenCheck } from './agent-auth';
import { createDrain } from './drain';
import type { Context } from './context';
import { EXAMPLE_OPERATION } from './example-operation';
import { queryLimits } from './query-limits';
import { rateLimitPlugin } from './rate-limit';
import { requestId } from './request-id';
import { ticketSchema } from './schema';

export const BODY_LIMIT = '1mb';
/** In-flight requests get this long to finish after SIGTERM. */
const DRAIN_GRACE_MS = 10_000;

export interface Api {
  httpServer: http.Server;
  listen(port: number, host: string): Promise<string>;
  /** Stop accepting, finish in-flight requests, close connections. */
  stop(): Promise<void>;
}

/** A GraphQL-shaped error body for requests refused before GraphQL runs. */
function refuse(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

export async function createApi(config: Config, log: Logger): Promise<Api> {
  const app = express();
  const httpServer = http.createServer(app);
  const tickets = new TicketService(log);
  const isAgent = createTokenCheck(config.agentTokens);
  const drain = createDrain(httpServer);

  const limits = queryLimits();
  const apollo = new ApolloServer<Context>({
    schema: ticketSchema(),
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    allowBatchedHttpRequests: false,
    formatError: createFormatError(config.production),
    includeStacktraceInErrorResponses: !config.production,
    introspection: config.introspection,
    // Agents authenticate with bearer tokens, never cookies, so there is no
    // ambient credential for a cross-site request to ride on; plain GET
    // queries (GraphQL over HTTP) stay usable.
    csrfPrevention: false,
    // The process owns signal handling (cli/serve.ts) and stops Apollo itself.
    stopOnTerminationSignals: false,
    plugins: [
      // Answers are per customer and never cached; without this plugin Apollo
      // also skips wrapping every resolver for cache hints (measured in bench).
      ApolloServerPluginCacheControlDisabled(),
      errorLogPlugin(),
      config.production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, document: EXAMPLE_OPERATION, includeCookies: false }),
      ...limits.plugins,
      ...(config.rateLimit ? [rateLimitPlugin(config.rateLimitStore === 'mongo' ? { kind: 'mongo', connection: mongoose.connection } : { kind: 'memory' })] : []),
    ],
  });
  await apollo.start();

  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(requestId);
  app.use((req, res, next) => {
    log.debug({ requestId: res.locals.requestId, method: req.method, path: req.path }, 'request received');
    next();
  });
  app.use(drain.middleware);
  // Security headers on every response. The CSP would block the Sandbox
  // page, which exists only outside production.
  app.use(helmet({ contentSecurityPolicy: config.production, crossOriginEmbedderPolicy: false }));
  app.use(
    cors({
      origin: config.corsOrigins,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['content-type', 'authorization', 'x-request-id', 'apollo-require-preflight'],
      exposedHeaders: ['retry-after', 'x-request-id'],
      maxAge: 600,
    }),
  );

  app.get('/healthz', async (_req, res) => {
    const up = await pingDatabase(Math.min(config.dbTimeoutMs, 2_000));
    res.status(up ? 200 : 503).json({ status: up ? 'ok' : 'unavailable' });
  });

  app.use(
    '/graphql',
    express.json({ limit: BODY_LIMIT }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const id = res.locals.requestId as string;
        let child: Logger | undefined;
        return {
          requestId: id,
          // Made on first use: most requests never log.
          get log() { return (child ??= log.child({ requestId: id })); },
          agent: isAgent(req.headers.authorization),
          ip: req.ip ?? 'unknown',
          tickets,
        };
      },
    }),
  );

  app.use((_req: Request, res: Response) => { res.status(404).type('text/plain').send('Not found: the API is at /graphql.\n'); });
  // Body-parser and other pre-GraphQL failures: 4xx with a GraphQL-shaped body, never a stack.
  app.use((err: { status?: number; type?: string; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) log.error({ err, requestId: res.locals.requestId }, 'unhandled HTTP error');
    const message = status === 413 ? `Request body too large (limit ${BODY_LIMIT}).` : status === 500 ? 'Internal server error.' : 'Malformed request: the body must be valid JSON.';
    refuse(res, status, status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST', message);
  });

  return {
    httpServer,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          const { port: actual } = httpServer.address() as { port: number };
          resolve(`http://${host.includes(':') ? `[${host}]` : host}:${actual}/graphql`);
        });
      }),
    stop: async () => {
      await drain.drain(DRAIN_GRACE_MS);
      await apollo.stop();
    },
  };
}
