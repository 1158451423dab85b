// The HTTP face of the API: /graphql (Apollo on plain node:http), /healthz,
// and the plumbing around them (request ids, security headers, CORS, body
// limits, graceful drain).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import cors from 'cors';
import { GraphQLError } from 'graphql';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { Config } from '../config/config';
import type { Platform } from '../compose';
import { pingDatabase } from '../db/connection';
import { databaseIfConnected, defaultConnection } from '../db/database';
import { createFormatError, errorLogPlugin } from '../errors/format-error';
import { lazyChild, type Logger } from '../logging/logger';
import { metricsPlugin } from '../telemetry/metrics';
import { operationSpanPlugin, withRequestId } from '../telemetry/tracing';
import { BodyError, readJsonBody } from './body';
import { clientIp } from './client-ip';
import { createDrain } from './drain';
import type { Context } from '../graphql/context';
import { EXAMPLE_OPERATION } from './example-operation';
import { graphqlHandler } from './graphql-handler';
import { queryLimits } from './query-limits';
import { operationGuardPlugin } from './operation-guard';
import { COST_HEADERS, costPlugin, refuseSpent } from './cost';
import { createTrustedDocuments } from './trusted-documents';
import { createExplorer, withExplorerLink } from '../explorer';
import { createRateLimits } from './rate-limit';
import { clockSkewSeconds, ClockWatch } from '../db/database-time';
import { cachedHealth, clockReport } from './health';
import { requestId } from './request-id';
import { securityHeaders } from './security-headers';
import { webClientRoute } from './web-client';
import { createSubscriptionServer } from './subscriptions';

export const BODY_LIMIT_BYTES = 1024 * 1024;
/** In-flight requests get this long to finish after SIGTERM. */
const DRAIN_GRACE_MS = 10_000;

export interface Api {
  httpServer: http.Server;
  listen(port: number, host: string): Promise<string>;
  /** Stop accepting, finish in-flight requests, close connections. */
  stop(): Promise<void>;
}

/** A GraphQL-shaped error body for requests refused before GraphQL runs. */
function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** Serve the composed platform (compose.ts) over HTTP and WebSocket. */
export async function createApi(config: Config, log: Logger, platform: Platform): Promise<Api> {
  // Idle keep-alive connections outlive the clients' own idle timeouts (undici 4 s, load balancers 60 s):
  // with Node's 5 s a client, slowed by a busy host, reuses one the server is closing ("other side closed").
  const httpServer = http.createServer({ keepAliveTimeout: 65_000 });
  const { schema, tokens, live, metrics } = platform;
  // A PUT has its own, longer deadline (attachments/): Node's 300 s must not cut it first.
  httpServer.requestTimeout = platform.requestTimeoutMs;
  const drain = createDrain(httpServer);

  const limits = queryLimits({ introspection: config.introspection });
  const formatError = createFormatError(config.production);
  const rateLimits = config.rateLimit
    ? createRateLimits(
        platform.lookupKey,
        config.rateLimitStore === 'mongo' ? { kind: 'mongo', connection: defaultConnection() } : { kind: 'memory' },
      )
    : null;
  const explorer = createExplorer({ production: config.production });
  const trusted = createTrustedDocuments(config.trustedDocuments, {
    log,
    rateLimits,
    authenticate: (a) => tokens.authenticate(a),
  });
  const apollo = new ApolloServer<Context>({
    schema,
    // Automatic persisted queries: no client of ours sends them; off, so a
    // stored hash cannot stand in for a document (and nothing grows a cache).
    persistedQueries: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    allowBatchedHttpRequests: false,
    formatError,
    includeStacktraceInErrorResponses: !config.production,
    // Introspection is refused by limits.validationRules when off, the same
    // rule as over WebSocket; Apollo's own switch would add a second one.
    introspection: true,
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
      ...[metrics && metricsPlugin(metrics), operationSpanPlugin()].filter((p) => p !== null),
      config.production
        ? ApolloServerPluginLandingPageDisabled()
        : withExplorerLink(
            ApolloServerPluginLandingPageLocalDefault({
              embed: true,
              document: EXAMPLE_OPERATION,
              includeCookies: false,
            }),
          ),
      ...limits.plugins,
      costPlugin(rateLimits),
      operationGuardPlugin(schema, rateLimits),
    ],
  });
  await apollo.start();

  const ipOf = clientIp(config.trustProxy);
  const webClient = config.webClient ? webClientRoute() : null;
  const health = cachedHealth(() => pingDatabase(Math.min(config.dbTimeoutMs, 2_000)));
  const clock = new ClockWatch(() => clockSkewSeconds(databaseIfConnected() as never));
  const skew = clockReport(await clock.refresh());
  if (skew.warnings) log.warn({ clockSkewSeconds: skew.clockSkewSeconds }, skew.warnings[0]);
  const setSecurityHeaders = securityHeaders({ csp: config.production });
  const corsCheck = cors({
    origin: config.corsOrigins,
    methods: ['GET', 'POST', 'PUT', 'OPTIONS'],
    allowedHeaders: ['content-type', 'authorization', 'x-request-id', 'apollo-require-preflight'],
    exposedHeaders: ['retry-after', 'x-request-id', ...COST_HEADERS],
    maxAge: 600,
  });
  /** Adds the CORS headers; false when the request was a preflight, answered already. */
  const applyCors = (req: IncomingMessage, res: ServerResponse): boolean => {
    // With static origins (all we configure) the cors package decides synchronously.
    let proceed = false;
    corsCheck(req as never, res as never, (err?: unknown) => {
      if (err) throw err;
      proceed = true;
    });
    if (!proceed && !res.writableEnded) throw new Error('CORS check did not decide synchronously');
    return proceed;
  };
  /** Where this request reached us: links in answers point back there (PUBLIC_URL overrides, attachments/). */
  const originOf = (req: IncomingMessage): string | undefined => {
    const forwarded = config.trustProxy
      ? String(req.headers['x-forwarded-proto'] ?? '')
          .split(',')[0]
          .trim()
      : '';
    const host = req.headers.host;
    return host && /^[\w.\-:[\]]+$/.test(host) ? `${forwarded === 'https' ? 'https' : 'http'}://${host}` : undefined;
  };
  /** Without a request (none today): the address this process listens on. */
  const listeningOrigin = (): string | undefined => {
    const address = httpServer.address();
    if (!address || typeof address === 'string') return undefined;
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  };
  const metricsAllowed = platform.metricsAllowed;
  if (metrics && config.production && !config.metricsToken)
    log.warn('METRICS_TOKEN is not set: GET /metrics answers 401 in production until it is');
  /** The context of one operation, over HTTP or WebSocket. */
  const contextFor = ({
    requestId,
    principal,
    ip,
    origin,
  }: {
    requestId: string;
    principal: Context['principal'];
    ip: string;
    origin?: string;
  }): Context => ({
    requestId,
    origin: origin ?? listeningOrigin(),
    log: lazyChild(log, { requestId }),
    principal,
    ip,
    ...platform.servicesFor(),
  });
  /** The caller; a credential that does not check out costs its address like an invalid document (it may have cost a database read). */
  const principalOf = async (authorization: string | undefined, ip: string): Promise<Context['principal']> => {
    const principal = await tokens.authenticate(authorization);
    if (authorization && !principal) await rateLimits?.chargeInvalid(ip);
    return principal;
  };
  platform.lendRequestTools({ principalOf, ipOf, refuseIfSpent: async (ip) => rateLimits?.refuseIfSpent(ip) });
  await platform.start();
  const graphql = graphqlHandler<Context>(apollo, async (req, res) => {
    const ip = ipOf(req);
    return contextFor({
      requestId: res.getHeader('x-request-id') as string,
      principal: await principalOf(req.headers.authorization, ip),
      ip,
      origin: originOf(req),
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    log.debug({ requestId: id, method: req.method, path }, 'request received');
    if (drain.draining) res.setHeader('connection', 'close');
    // Security headers on every response. The CSP would block the Sandbox
    // page, which exists only outside production.
    setSecurityHeaders(res);
    if (!applyCors(req, res)) return;
    if (path === '/graphql' || path === '/graphql/') {
      let body: unknown;
      try {
        body = await readJsonBody(req, BODY_LIMIT_BYTES);
      } catch (err) {
        if (!(err instanceof BodyError)) throw err;
        return refuse(res, err.status, 'BAD_REQUEST', err.message);
      }
      if (rateLimits) {
        try {
          await rateLimits.refuseIfSpent(ipOf(req));
        } catch (err) {
          // A store that fails here fails again when the operation is charged, and is answered there.
          if (!(err instanceof GraphQLError) || err.extensions.code !== 'RATE_LIMITED') return graphql(req, res, body);
          return refuseSpent(res, err);
        }
      }
      if (await trusted.answerHttp(req, res, body, ipOf(req))) return;
      return graphql(req, res, body);
    }
    for (const r of platform.running) if (r.route && (await r.route(req, res, path))) return;
    if (await explorer.route(req, res, path)) return;
    if (metrics && path === '/metrics' && req.method === 'GET') {
      if (!metricsAllowed(req.headers.authorization)) {
        res.setHeader('www-authenticate', 'Bearer');
        return refuse(
          res,
          401,
          'UNAUTHENTICATED',
          config.metricsToken
            ? 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.'
            : 'GET /metrics needs METRICS_TOKEN set on the server (NODE_ENV=production), then Authorization: Bearer <METRICS_TOKEN>.',
        );
      }
      res.setHeader('content-type', metrics.registry.contentType);
      res.end(await metrics.registry.metrics());
      return;
    }
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const up = await health();
      res.statusCode = up ? 200 : 503;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ status: up ? 'ok' : 'unavailable', ...clockReport(clock.current()) }));
      return;
    }
    if (webClient?.(req, res, path)) return;
    res.statusCode = 404;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end('Not found: the API is at /graphql.\n');
  }

  const subscriptions = createSubscriptionServer({
    httpServer,
    schema,
    validationRules: limits.validationRules,
    maxTokens: limits.parseOptions.maxTokens,
    rateLimits,
    trusted,
    live,
    log,
    ipOf,
    authenticate: (authorization) => tokens.authenticate(authorization),
    principalOf,
    context: ({ request, ...base }) => contextFor({ ...base, origin: request && originOf(request) }),
    formatError: (error) => formatError(error.toJSON(), error),
    metrics,
    keepAliveMs: config.wsKeepAliveSeconds * 1000,
  });

  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const id = requestId(req, res);
    drain.track(withRequestId(id, () => handle(req, res, id))).catch((err) => {
      // Never a stack to the client: log it with the request id, answer 500.
      log.error({ err, requestId: id }, 'unhandled HTTP error');
      if (!res.headersSent) refuse(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error.');
      else res.destroy();
    });
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
      // drain() closes the listening socket before it returns: from this line
      // on, a new connection is refused by the kernel, never served.
      const drained = drain.drain(DRAIN_GRACE_MS);
      log.info('stopped accepting connections');
      // Subscriptions complete and their sockets close (1001) while HTTP requests finish.
      await subscriptions.close();
      await drained;
      await apollo.stop();
      await platform.stop();
    },
  };
}
