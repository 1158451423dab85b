// The errors our code throws on purpose. Each is a GraphQLError carrying
// the contract's code and extras. Errors raised while executing an operation
// answer HTTP 200 (GraphQL convention: the body says what failed); only
// request-level refusals (rate limits) carry an HTTP status of their own.
import { GraphQLError } from 'graphql';
import { HeaderMap } from '@apollo/server';
import { ErrorCode } from './error-codes';

export interface FieldProblem {
  field: string;
  message: string;
}

const make = (message: string, code: ErrorCode, extra: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code, ...extra } });

export function badUserInput(fields: FieldProblem[]): GraphQLError {
  const message =
    fields.length === 1
      ? `Invalid ${fields[0].field}: ${fields[0].message}`
      : `Invalid input: ${fields.map((f) => f.field).join(', ')}`;
  return make(message, ErrorCode.BAD_USER_INPUT, { fields });
}

export function duplicateEntry(field: string, message = `A ticket with this ${field} already exists.`): GraphQLError {
  return make(message, ErrorCode.DUPLICATE_ENTRY, { mongoCode: 11000, field });
}

export const unauthenticated = () =>
  make('This operation needs a valid token (Authorization: Bearer <token>).', ErrorCode.UNAUTHENTICATED);

export const forbidden = (requiredScope: string) =>
  make(`This token lacks the scope this operation needs: ${requiredScope}.`, ErrorCode.FORBIDDEN, { requiredScope });

/** FORBIDDEN for one input field this caller may not set; `field` names it. */
export const forbiddenField = (field: string, message: string, requiredScope: string) =>
  make(message, ErrorCode.FORBIDDEN, { field, requiredScope });

export const notFound = (ticketNumber: string, message = `No ticket ${ticketNumber}.`) =>
  make(message, ErrorCode.NOT_FOUND);

export const rateLimited = (retryAfter: number) =>
  make(`Too many requests; try again in ${retryAfter} s.`, ErrorCode.RATE_LIMITED, {
    retryAfter,
    http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfter)]]) },
  });

/** Why we refused on purpose (for our logs only, never the client): a refusal that is no outage. */
const refusalReasons = new WeakMap<GraphQLError, string>();

/** SERVICE_UNAVAILABLE; `reason` when it is a refusal of ours (a cap, contention), not the database failing. */
export function serviceUnavailable(retryAfter = 5, reason?: string): GraphQLError {
  const error = make('The service is temporarily unavailable; try again shortly.', ErrorCode.SERVICE_UNAVAILABLE, {
    retryAfter,
  });
  if (reason) refusalReasons.set(error, reason);
  return error;
}

/** The reason given to serviceUnavailable, if any. */
export const refusalReason = (error: unknown): string | undefined =>
  error instanceof GraphQLError ? refusalReasons.get(error) : undefined;

export const internalError = () => make('Internal server error.', ErrorCode.INTERNAL_SERVER_ERROR);

/** A subscriber that fell more than `limit` values behind: its subscription ends with this. */
export const slowConsumer = (limit: number) =>
  make(
    `This subscription fell more than ${limit} updates behind (the connection did not take them) and was ended. Subscribe again; to miss nothing, read ticketChanges from your last cursor.`,
    ErrorCode.SLOW_CONSUMER,
    { limit },
  );
