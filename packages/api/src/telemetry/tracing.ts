// OpenTelemetry traces, switched on by the standard variables
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, with
// OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf, the default, or http/json).
// Unset, nothing of OpenTelemetry is loaded and the helpers below are plain
// pass-throughs. On, each request is one trace: the HTTP server span, the
// GraphQL operation (our span, named like "mutation createTicket", with
// graphql's parse/validate/execute under it) and every MongoDB command.
//
// Kept out of every attribute: query-string values (a GraphQL GET carries
// the document and variables there), webhook URLs' query strings, GraphQL
// literals and variables (the instrumentation's allowValues: false) and
// MongoDB values (its statement serializer writes "?" for each); and what
// errors say (exception events, span status: a duplicate key's values, a
// rate-limit key with a client's address, an email) is redacted as the
// logs redact it (redactSpan), before any span leaves the process.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, RequestOptions } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import { firstErrorCode } from '../errors/error-codes';
import { redactText } from '../logging/logger';

type RedactableSpan = { status: { message?: string }; events: { attributes?: Record<string, unknown> }[] };

/**
 * What errors say on an ended span, as the logs would write it: the status
 * message and the events' string attributes (exception message, type and
 * stack trace). The span's own attributes are built without values already.
 */
export function redactSpan(span: RedactableSpan): void {
  if (span.status.message) span.status.message = redactText(span.status.message);
  for (const e of span.events) {
    const attrs = e.attributes;
    for (const [k, v] of Object.entries(attrs ?? {})) if (typeof v === 'string') attrs![k] = redactText(v);
  }
}

type OtelApi = typeof import('@opentelemetry/api');
type Tracing = { api: OtelApi; shutdown(): Promise<void>; requestIdKey: symbol };

let tracing: Tracing | null = null;

/** What the environment asks for: an OTLP endpoint, not switched off. */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  if ((env.OTEL_TRACES_EXPORTER ?? '').trim() === 'none') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** The OTLP protocol for traces; grpc is not offered (no grpc exporter installed). */
export function tracesProtocol(env: NodeJS.ProcessEnv = process.env): 'http/json' | 'http/protobuf' {
  const p = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim();
  return p === 'http/json' ? 'http/json' : 'http/protobuf';
}

/** Every value of a query string replaced: "query=REDACTED&variables=REDACTED". */
export function redactQuery(search: string): string {
  return [...new URLSearchParams(search).keys()].map((k) => `${encodeURIComponent(k)}=REDACTED`).join('&');
}

/** An outgoing request's URL without its query string (a webhook URL may carry a secret there). */
export function urlWithoutQuery(o: RequestOptions): string {
  const host = o.hostname ?? o.host ?? 'localhost';
  const port = o.port ? `:${o.port}` : '';
  return `${o.protocol ?? 'http:'}//${host}${port}${(o.path ?? '/').split('?', 1)[0]}`;
}

/**
 * Starts the SDK when the environment asks for it. Must run before http,
 * mongodb and graphql are first required (cli/serve.ts loads
 * telemetry/start-tracing first). Returns what was started, for the log.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): { protocol: string } | null {
  if (tracing) return { protocol: tracesProtocol(env) };
  if (!tracingWanted(env)) return null;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const api: OtelApi = require('@opentelemetry/api');
  const { NodeSDK, tracing: sdkTracing } =
    require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } =
    require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { GraphQLInstrumentation } =
    require('@opentelemetry/instrumentation-graphql') as typeof import('@opentelemetry/instrumentation-graphql');
  const { MongoDBInstrumentation } =
    require('@opentelemetry/instrumentation-mongodb') as typeof import('@opentelemetry/instrumentation-mongodb');
  const protocol = tracesProtocol(env);
  const { OTLPTraceExporter } = (
    protocol === 'http/json'
      ? require('@opentelemetry/exporter-trace-otlp-http')
      : require('@opentelemetry/exporter-trace-otlp-proto')
  ) as typeof import('@opentelemetry/exporter-trace-otlp-http');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const requestIdKey = api.createContextKey('ticket-api request id');
  // Every span started inside a request carries its request id (the one in the logs).
  const requestIds: import('@opentelemetry/sdk-node').tracing.SpanProcessor = {
    onStart(span, parent) {
      const id = parent.getValue(requestIdKey);
      if (typeof id === 'string') span.setAttribute('request.id', id);
    },
    onEnd() {},
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  // Before the exporter's processor: what it sends is already redacted.
  const redacting: import('@opentelemetry/sdk-node').tracing.SpanProcessor = {
    onStart() {},
    onEnd: (span) => redactSpan(span as unknown as RedactableSpan),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ? undefined : 'ticket-api',
    spanProcessors: [requestIds, redacting, new sdkTracing.BatchSpanProcessor(new OTLPTraceExporter())],
    // Metrics are Prometheus (/metrics) and logs are JSON lines: only traces go
    // to OTLP unless those are asked for by their own variables.
    ...(env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
    ...(env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are not requests anyone traces.
        ignoreIncomingRequestHook: (req: IncomingMessage) => /^\/(healthz|metrics)(\?|$)/.test(req.url ?? ''),
        startIncomingSpanHook: (req: IncomingMessage) => {
          const q = (req.url ?? '').indexOf('?');
          return q >= 0 ? { 'url.query': redactQuery(req.url!.slice(q + 1)) } : {};
        },
        startOutgoingSpanHook: (o: RequestOptions) => ({ 'url.full': urlWithoutQuery(o) }),
      }),
      new GraphQLInstrumentation({ allowValues: false, ignoreResolveSpans: true, mergeItems: true }),
      // Background work (feed sequencing, webhook polling, live polling) would
      // make a trace of its own every few hundred milliseconds: only commands
      // inside a request are traced.
      new MongoDBInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
    ],
  });
  sdk.start();
  tracing = { api, shutdown: () => sdk.shutdown(), requestIdKey };
  return { protocol };
}

/** Flushes and stops tracing (no-op when off). */
export async function stopTracing(): Promise<void> {
  const t = tracing;
  tracing = null;
  await t?.shutdown();
}

/** The request whose work is running (tracing on or off): db/request-comment.ts tags its commands. */
const requestContext = new AsyncLocalStorage<string>();

/** The id of the request this code runs for; undefined in background work. */
export function currentRequestId(): string | undefined {
  return requestContext.getStore();
}

/**
 * Runs `fn` outside any request: a timer or loop it starts (the feed's
 * sequencer, nudged by a write) is background work, not the request's,
 * however long it runs: neither its id nor its trace (spans started there
 * are roots, not the request's children).
 */
export function outsideRequest<T>(fn: () => T): T {
  if (!tracing) return requestContext.exit(fn);
  const { api } = tracing;
  return requestContext.exit(() => api.context.with(api.ROOT_CONTEXT, fn));
}

/** Runs `fn` with this request id on the current span and every span started inside. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return requestContext.run(requestId, () => {
    if (!tracing) return fn();
    const { api, requestIdKey } = tracing;
    api.trace.getActiveSpan()?.setAttribute('request.id', requestId);
    return api.context.with(api.context.active().setValue(requestIdKey, requestId), fn);
  });
}

/** Runs one GraphQL operation inside its own span ("graphql" until the operation is known). */
export function inOperationSpan<T>(fn: () => Promise<T>): Promise<T> {
  if (!tracing) return fn();
  const { api } = tracing;
  return api.trace.getTracer('ticket-api').startActiveSpan('graphql', async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
}

/** The operation span's name: "mutation createTicket", by the operation's name or else its root field. */
export function operationSpanName(operation: OperationDefinitionNode): string {
  const first = operation.selectionSet.selections[0];
  const name = operation.name?.value ?? (first?.kind === 'Field' ? first.name.value : 'anonymous');
  return `${operation.operation} ${name}`;
}

/** Names the operation span and marks errors; null when tracing is off (no plugin at all). */
export function operationSpanPlugin(): ApolloServerPlugin | null {
  if (!tracing) return null;
  const { api } = tracing;
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          const span = api.trace.getActiveSpan();
          if (!operation) return;
          span?.updateName(operationSpanName(operation));
          span?.setAttribute('graphql.operation.type', operation.operation);
          if (operation.name) span?.setAttribute('graphql.operation.name', operation.name.value);
        },
        async willSendResponse({ response }) {
          const code = firstErrorCode(response.body.kind === 'single' ? response.body.singleResult.errors : undefined);
          if (code === undefined) return;
          const span = api.trace.getActiveSpan();
          // The code only: messages may quote what the caller sent.
          span?.setAttribute('graphql.error.code', code);
          span?.setStatus({ code: api.SpanStatusCode.ERROR, message: code });
        },
      };
    },
  };
}
