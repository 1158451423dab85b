// The last stop before an error reaches a client: known errors pass with
// their code; database outages become SERVICE_UNAVAILABLE; stray duplicate
// keys become DUPLICATE_ENTRY; everything else is an opaque
// INTERNAL_SERVER_ERROR; no message keeps a "Did you mean" hint. This one
// function formats errors for HTTP and WebSocket alike. The details go to the log (errorLogPlugin, with the
// request id), never to the client.
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ErrorCode } from './error-codes';
import { duplicateEntry, internalError, refusalReason, serviceUnavailable } from './api-errors';
import { duplicateKeyField, isDuplicateKeyError } from './duplicate-key';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from '../graphql/context';

// Driver errors that mean "the database cannot be reached right now".
const UNAVAILABLE = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
  'MongoWaitQueueTimeoutError',
]);

// Server codes for "not in time": MaxTimeMSExpired (a read's maxTimeMS), WriteConcernFailed (a majority write's wtimeout).
const TIMED_OUT_CODES = new Set([50, 64]);

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { name?: string; cause?: unknown; code?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name && UNAVAILABLE.has(e.name)) return true;
  if (typeof e.code === 'number' && TIMED_OUT_CODES.has(e.code)) return true;
  return e.cause !== undefined && e.cause !== err && isDatabaseUnavailable(e.cause);
}

const OUR_CODES = new Set<string>(Object.values(ErrorCode));
// Apollo's own request-level codes keep their meaning.
const APOLLO_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** Turn any thrown value into the GraphQLError a client may see. */
export function toClientError(original: unknown): GraphQLError | null {
  if (original instanceof GraphQLError) {
    const code = original.extensions?.code;
    if (typeof code === 'string' && (OUR_CODES.has(code) || APOLLO_CODES.has(code))) return original;
  }
  if (isDatabaseUnavailable(original)) return serviceUnavailable();
  if (isDuplicateKeyError(original)) {
    const field = duplicateKeyField(original);
    // A ticket-number collision is ours to absorb, never the caller's.
    if (field && field !== 'ticketNumber' && field !== '_id') return duplicateEntry(field);
  }
  return null;
}

/**
 * Variable-coercion failures come from graphql-js as BAD_USER_INPUT with
 * only a message; derive `fields` from it so every BAD_USER_INPUT has them.
 */
export function fieldsFromCoercionMessage(message: string): { field: string; message: string }[] {
  const at = /at "([^"]+)"/.exec(message);
  const missing = /Field "([^"]+)" of required type/.exec(message);
  const variable = /Variable "\$([^"]+)"/.exec(message);
  let field = variable?.[1] ?? 'input';
  if (at)
    field =
      at[1]
        .split('.')
        .filter((p) => !/^\d+$/.test(p))
        .pop() ?? field;
  if (missing) field = missing[1];
  const detail = message.includes(';') ? message.slice(message.indexOf(';') + 1).trim() : message;
  return [{ field, message: detail }];
}

/** graphql-js's "Did you mean ...?" hints name schema fields and values: never sent, over either transport. */
export const withoutSuggestions = (message: string): string => message.replace(/ ?Did you mean [^?]*\?/g, '');

export function createFormatError(production: boolean) {
  return (raw: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const formatted = raw.message.includes('Did you mean') ? { ...raw, message: withoutSuggestions(raw.message) } : raw;
    const code = formatted.extensions?.code;
    if (code === ErrorCode.BAD_USER_INPUT && !formatted.extensions?.fields) {
      return {
        ...formatted,
        extensions: { ...formatted.extensions, fields: fieldsFromCoercionMessage(formatted.message) },
      };
    }
    if (typeof code === 'string' && APOLLO_CODES.has(code)) return formatted;
    return shape(toClientError(unwrapResolverError(error)) ?? internalError(), formatted, production);
  };
}

/** Logs what clients do not see: unexpected errors in full, outages as warnings; with the request id. */
export function errorLogPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            const client = toClientError(original);
            const refused = refusalReason(original);
            if (refused) {
              // A refusal of ours (a cap, contention) that clients can cause: said as what it is, never as an outage that pages someone.
              contextValue.log.info({ reason: refused }, `refused: ${refused}`);
            } else if (client?.extensions.code === ErrorCode.SERVICE_UNAVAILABLE) {
              const e = original as { name?: string; message?: string };
              contextValue.log.warn({ err: { name: e?.name, message: e?.message } }, 'database unavailable');
            } else if (!client && !APOLLO_CODES.has(String(error.extensions?.code))) {
              contextValue.log.error({ err: original, path: error.path }, 'unexpected error');
            }
          }
        },
      };
    },
  };
}

function shape(client: GraphQLError, formatted: GraphQLFormattedError, production: boolean): GraphQLFormattedError {
  const { http: _http, ...extensions } = client.extensions as Record<string, unknown>;
  if (!production && formatted.extensions?.stacktrace) extensions.stacktrace = formatted.extensions.stacktrace;
  return { message: client.message, locations: formatted.locations, path: formatted.path, extensions };
}
