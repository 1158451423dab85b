// GraphQL over WebSocket (graphql-transport-ws, the graphql-ws library) on
// the HTTP server's port and path. The same schema, validation rules (no
// introspection in production), limits, rate limits and error masking as
// HTTP; queries and mutations run here too, admitted and charged exactly
// like HTTP ones (operation-guard.ts); tokens in connection_init, checked then (4403 when
// invalid) and again while the connection lives (revocation closes it).
import type http from 'node:http';
import {
  GraphQLError,
  execute,
  getOperationAST,
  parse,
  specifiedRules,
  subscribe,
  validate,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import type { Context as WsContext, SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { internalError } from '../errors/api-errors';
import { firstErrorCode } from '../errors/error-codes';
import { toClientError } from '../errors/format-error';
import type { Context } from '../graphql/context';
import type { Logger } from '../logging/logger';
import type { Metrics } from '../telemetry/metrics';
import type { LookupCharge, Principal } from '../graphql/context';
import { CostMeter, costExtension, withCost } from './cost';
import { admitOperation } from './operation-guard';
import type { TrustedDocuments } from './trusted-documents';
import { addressKey, type RateLimits } from './rate-limit';
import { capSendBuffer } from './send-buffer';
import { withRequestId } from '../telemetry/tracing';
import { documentCache } from './document-cache';

export const WS_LIMITS = {
  /** Open sockets per client address. */
  connectionsPerIp: 20,
  /** Subscriptions at once on one socket. */
  subscriptionsPerConnection: 20,
  /** A socket without any subscription for this long is closed. */
  idleMs: 60_000,
  /** connection_init must come this soon. */
  initMs: 3_000,
  /** Tokens are re-checked this often (revocation ends the connection within the token cache time plus this). */
  recheckMs: 5_000,
} as const;

/** Close codes: 4403 invalid token (graphql-ws's Forbidden), 4429 too many, 4408 idle, 1001 going away, 1013 try again later (the database is down). */
const CLOSE = { forbidden: 4403, tooMany: 4429, idle: 4408, goingAway: 1001, tryAgainLater: 1013 } as const;

type Extra = {
  socket: WebSocket;
  request: http.IncomingMessage;
  principal?: Principal | null;
  authorization?: string;
  ip?: string;
  subscriptions?: number;
  idleSince?: number;
};

export interface SubscriptionServerOptions {
  httpServer: http.Server;
  schema: GraphQLSchema;
  validationRules: ValidationRule[];
  maxTokens: number;
  rateLimits: RateLimits | null;
  /** documentId instead of query, and TRUSTED_DOCUMENTS=require-public, as over HTTP. */
  trusted: TrustedDocuments;
  /** The live view subscriptions read (live/): closed at stop, so each subscription completes. */
  live: { closeAll(): void };
  log: Logger;
  ipOf(req: http.IncomingMessage): string;
  authenticate(authorization: string | undefined): Promise<Principal | null>;
  /** `request`: the upgrade request (links in answers point back to its Host). */
  context(base: {
    requestId: string;
    principal: Principal | null;
    ip: string;
    request?: http.IncomingMessage;
  }): Context;
  formatError(error: GraphQLError): GraphQLFormattedError;
  /** The caller behind a token at connection_init, charging the address when it does not check out. */
  principalOf(authorization: string, ip: string): Promise<Principal | null>;
  /** Times each operation like HTTP ones: until its result, or until a subscription is set up. */
  metrics: Metrics | null;
  /** A ping this often; a socket that answers none within as long again is dropped as dead (graphql-ws's keep-alive). */
  keepAliveMs: number;
}

export interface SubscriptionServer {
  /** Complete every subscription, close every socket with 1001. */
  close(): Promise<void>;
  readonly connections: number;
}

let operationSeq = 0;

const isUnavailable = (err: unknown): boolean =>
  err instanceof GraphQLError && err.extensions.code === 'SERVICE_UNAVAILABLE';

/** A refusal as the client may see it: ours as they are; a store outage SERVICE_UNAVAILABLE; anything else opaque. */
const asClientError = (err: unknown): GraphQLError =>
  err instanceof GraphQLError ? err : (toClientError(err) ?? internalError());

export function createSubscriptionServer(o: SubscriptionServerOptions): SubscriptionServer {
  const wss = new WebSocketServer({ server: o.httpServer, path: '/graphql', maxPayload: 64 * 1024 });
  const perIp = new Map<string, number>();
  const extras = new Set<Extra>();
  /** Operations under way, by their context: when each started and what it is. */
  const timing = new WeakMap<object, { started: bigint; operation: OperationDefinitionNode | undefined }>();
  const rules = [...specifiedRules, ...o.validationRules];
  const documents = documentCache();
  const observe = (
    operation: OperationDefinitionNode | undefined,
    errors: readonly GraphQLError[] | undefined,
    started: bigint,
  ) =>
    o.metrics?.observeOperation(
      o.metrics.operationOf(operation),
      firstErrorCode(errors),
      Number(process.hrtime.bigint() - started) / 1e9,
    );

  let closedUnread = 0;
  o.metrics?.watchSockets({
    get largestSendBuffer() {
      let largest = 0;
      for (const socket of wss.clients) largest = Math.max(largest, socket.bufferedAmount);
      return largest;
    },
    get closedUnread() {
      return closedUnread;
    },
  });

  wss.on('connection', (socket, request) => {
    // Before graphql-ws sees the socket: bounded send buffer, pongs without payload (send-buffer.ts).
    capSendBuffer(socket, () => {
      closedUnread++;
      o.log.warn({}, 'websocket: a client stopped reading what it made the server send; closed it (1008)');
    });
    // Keyed like the budgets: an IPv6 client by its /64, IPv4-mapped as IPv4.
    const ip = addressKey(o.ipOf(request));
    const count = (perIp.get(ip) ?? 0) + 1;
    perIp.set(ip, count);
    socket.once('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
    });
    if (count > WS_LIMITS.connectionsPerIp) socket.close(CLOSE.tooMany, 'Too many connections from this address');
  });

  /** Admits one operation (the same guard as HTTP) and builds its execution arguments, or refuses it. */
  const admit = async (
    ctx: WsContext<Record<string, unknown>, Extra>,
    _id: string,
    payload: SubscribePayload,
    requestId: string,
  ) => {
    const started = process.hrtime.bigint();
    const extra = ctx.extra as Extra;
    // eslint-disable-next-line prefer-const -- read (undefined) by refusals before the document is parsed, set after
    let operation: OperationDefinitionNode | undefined;
    if ((extra.subscriptions ?? 0) >= WS_LIMITS.subscriptionsPerConnection) {
      const errors = [
        new GraphQLError(`At most ${WS_LIMITS.subscriptionsPerConnection} subscriptions per connection.`, {
          extensions: { code: 'RATE_LIMITED', retryAfter: 1 },
        }),
      ];
      observe(operation, errors, started);
      return errors;
    }
    // The slot is taken before the first await, so operations sent back to
    // back cannot all pass the check above; a refusal gives it back.
    extra.subscriptions = (extra.subscriptions ?? 0) + 1;
    const ip = extra.ip ?? 'unknown';
    // What this operation is charged, told in each result (and in a refusal's errors).
    const cost = o.rateLimits ? new CostMeter(o.rateLimits, ip, Boolean(extra.principal)) : undefined;
    const refuse = (errors: GraphQLError[]) => {
      extra.subscriptions = Math.max(0, (extra.subscriptions ?? 1) - 1);
      if (!extra.subscriptions) extra.idleSince = Date.now();
      observe(operation, errors, started);
      return withCost(errors, cost?.spent());
    };
    // The same admission as HTTP (operation-guard.ts): a spent invalid-document
    // budget refuses before parsing; parse and validation failures are charged.
    try {
      await o.rateLimits?.refuseIfSpent(ip, cost);
    } catch (err) {
      return refuse([asClientError(err)]);
    }
    const source = await o.trusted.decideWs(
      payload as typeof payload & { documentId?: unknown },
      extra.principal ?? null,
    );
    if (source instanceof GraphQLError) {
      await o.rateLimits?.chargeInvalid(ip, cost);
      return refuse([source]);
    }
    // Texts that parsed and validated before are taken as they were (an LRU); a refused text is parsed, validated and charged each time.
    let document = documents.get(source.query);
    if (!document) {
      try {
        document = parse(source.query, { maxTokens: o.maxTokens });
      } catch (err) {
        await o.rateLimits?.chargeInvalid(ip, cost);
        return refuse([new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
      }
      const errors = validate(o.schema, document, rules);
      if (errors.length) {
        await o.rateLimits?.chargeInvalid(ip, cost);
        return refuse(
          errors.map(
            (e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
          ),
        );
      }
      documents.set(source.query, document);
    }
    operation = getOperationAST(document, payload.operationName ?? undefined) ?? undefined;
    let lookups: LookupCharge | undefined;
    try {
      lookups = await admitOperation(o.schema, o.rateLimits, {
        document,
        operationName: payload.operationName,
        variables: payload.variables,
        ip,
        cost,
      });
    } catch (err) {
      return refuse([asClientError(err)]);
    }
    const contextValue = {
      ...o.context({
        requestId,
        principal: extra.principal ?? null,
        ip,
        request: extra.request,
      }),
      lookups,
      cost,
    };
    timing.set(contextValue, { started, operation });
    return {
      schema: o.schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
      contextValue,
    };
  };

  const disposable = useServer<Record<string, unknown>, Extra>(
    {
      schema: o.schema,
      connectionInitWaitTimeout: WS_LIMITS.initMs,
      onConnect: async (ctx) => {
        const raw = ctx.connectionParams?.authorization;
        const authorization = typeof raw === 'string' ? raw : undefined;
        const ip = o.ipOf(ctx.extra.request);
        let principal: Principal | null;
        try {
          // A spent invalid-document budget refuses before a token costs a database read.
          if (authorization) await o.rateLimits?.refuseIfSpent(ip);
          principal = authorization ? await o.principalOf(authorization, ip) : null;
        } catch (err) {
          if (err instanceof GraphQLError && err.extensions.code === 'RATE_LIMITED') {
            ctx.extra.socket.close(CLOSE.tooMany, 'Too many invalid requests from this address');
            return false;
          }
          // A named token that cannot be checked while the database is down: the
          // client may come back (1013), as an HTTP request gets 503, not 4500.
          if (!isUnavailable(err)) throw err;
          ctx.extra.socket.close(CLOSE.tryAgainLater, 'Service unavailable: try again later');
          return false;
        }
        // A token that does not check out closes the connection (4403), rather than silently acting as public.
        if (authorization && !principal) return false;
        Object.assign(ctx.extra, { principal, authorization, ip, subscriptions: 0, idleSince: Date.now() });
        extras.add(ctx.extra as Extra);
        ctx.extra.socket.once('close', () => extras.delete(ctx.extra as Extra));
        return true;
      },
      // Each operation's database commands carry its request id, as an HTTP request's do
      // (db/request-comment.ts): admission, then its execution or its stream's setting up.
      onSubscribe: (ctx, id, payload) => {
        const requestId = `ws-${process.pid}-${++operationSeq}`;
        return withRequestId(requestId, () => admit(ctx, id, payload, requestId));
      },
      execute: (args) => withRequestId((args.contextValue as Context).requestId, () => execute(args)),
      subscribe: (args) => withRequestId((args.contextValue as Context).requestId, () => subscribe(args)),
      onOperation: async (_ctx, _id, _payload, args, result) => {
        const t = timing.get(args.contextValue as object);
        if (!t) return;
        // A subscription's time is its setting up (an iterator came back); a query's, its result.
        const r = await result;
        observe(t.operation, Symbol.asyncIterator in r ? undefined : r.errors, t.started);
      },
      onNext: async (_ctx, _id, _payload, args, result) => {
        const formatted = result.errors?.length
          ? { ...result, errors: result.errors.map((e) => o.formatError(e)) }
          : result;
        // The same extensions.cost as over HTTP; a store that cannot answer now leaves it out.
        const state = await (args.contextValue as Context).cost?.report().catch(() => undefined);
        return (
          state ? { ...formatted, extensions: { ...formatted.extensions, cost: costExtension(state) } } : formatted
        ) as never;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => o.formatError(e)) as never,
      onComplete: (ctx) => {
        const extra = ctx.extra as Extra;
        extra.subscriptions = Math.max(0, (extra.subscriptions ?? 1) - 1);
        if (!extra.subscriptions) extra.idleSince = Date.now();
      },
    },
    wss,
    o.keepAliveMs,
  );

  // Revoked tokens and idle sockets, checked in one sweep.
  const sweeper = setInterval(async () => {
    const now = Date.now();
    for (const extra of extras) {
      if (extra.subscriptions === 0 && now - (extra.idleSince ?? now) > WS_LIMITS.idleMs) {
        extra.socket.close(CLOSE.idle, 'Idle: no subscription');
        continue;
      }
      if (extra.authorization && !(await o.authenticate(extra.authorization).catch(() => extra.principal ?? null))) {
        extra.socket.close(CLOSE.forbidden, 'Forbidden: the token is no longer valid');
      }
    }
  }, WS_LIMITS.recheckMs);
  sweeper.unref();

  return {
    get connections() {
      return wss.clients.size;
    },
    async close() {
      clearInterval(sweeper);
      o.live.closeAll(); // each subscription completes ("complete" reaches the client)
      await new Promise((r) => setImmediate(r)); // let those messages go out first
      for (const socket of wss.clients) socket.close(CLOSE.goingAway, 'Server shutting down');
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
