// Every GraphQL error is thrown as a subclass of TicketApiError chosen by
// its `extensions.code`; transport failures are a NetworkError.
//
// `instanceof` must hold even when two copies of this module are loaded
// (the ESM and the CommonJS build, two bundles): each class checks a
// brand shared through Symbol.for instead of the prototype chain alone.

/** One error as the server sent it. */
export interface GraphQLErrorPayload {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

export interface FieldError {
  field: string;
  message: string;
}

const KINDS = Symbol.for('@tickets/sdk/error-kinds');

type Branded = { [KINDS]?: readonly string[] };

/** Mark instances of Class as Class and as everything its parent is. */
function brand(Class: { prototype: object; kind: string }, Parent?: { prototype: object }): void {
  const inherited = (Parent?.prototype as Branded | undefined)?.[KINDS] ?? [];
  Object.defineProperty(Class.prototype, KINDS, { value: [...inherited, Class.kind], enumerable: false });
}

function hasKind(value: unknown, kind: string): boolean {
  return typeof value === 'object' && value !== null && ((value as Branded)[KINDS] ?? []).includes(kind);
}

/** Any error from the Ticket API. */
export class TicketApiError extends Error {
  static readonly kind: string = 'TicketApiError';
  static {
    brand(this);
  }

  /** `extensions.code` of the first error, e.g. "INTERNAL_SERVER_ERROR". */
  readonly code: string;
  /** Every error of the response, as sent. */
  readonly errors: readonly GraphQLErrorPayload[];
  /** `extensions` of the first error. */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(
    message: string,
    code: string,
    errors: readonly GraphQLErrorPayload[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    const kind = (new.target as typeof TicketApiError).kind;
    Object.setPrototypeOf(this, new.target.prototype);
    Object.defineProperty(this, 'name', { value: kind, enumerable: false, configurable: true, writable: true });
    this.code = code;
    this.errors = errors;
    this.extensions = errors[0]?.extensions ?? {};
  }

  static [Symbol.hasInstance](value: unknown): boolean {
    return hasKind(value, this.kind);
  }
}

/** A duplicate that is the caller's business: the same chatId twice, a reused idempotencyKey. */
export class DuplicateEntryError extends TicketApiError {
  static override readonly kind = 'DuplicateEntryError';
  static {
    brand(this, TicketApiError);
  }
  /** The field that collided, e.g. "chatId". */
  readonly field: string;
  constructor(message: string, errors: readonly GraphQLErrorPayload[]) {
    super(message, 'DUPLICATE_ENTRY', errors);
    this.field = String(this.extensions.field ?? '');
  }
}

/** Invalid input; `fields` says which and why. */
export class ValidationError extends TicketApiError {
  static override readonly kind = 'ValidationError';
  static {
    brand(this, TicketApiError);
  }
  readonly fields: readonly FieldError[];
  constructor(message: string, errors: readonly GraphQLErrorPayload[]) {
    super(message, 'BAD_USER_INPUT', errors);
    const fields = this.extensions.fields;
    this.fields = Array.isArray(fields) ? (fields as FieldError[]) : [];
  }
}

/** An operation that needs a token, without a valid one. */
export class UnauthenticatedError extends TicketApiError {
  static override readonly kind = 'UnauthenticatedError';
  static {
    brand(this, TicketApiError);
  }
  constructor(message: string, errors: readonly GraphQLErrorPayload[]) {
    super(message, 'UNAUTHENTICATED', errors);
  }
}

/**
 * Not allowed: a valid token without the scope the operation needs
 * (`requiredScope` names it), or an input field this caller may not set
 * (`field`, e.g. a chatId without its chatSignature).
 */
export class ForbiddenError extends TicketApiError {
  static override readonly kind = 'ForbiddenError';
  static {
    brand(this, TicketApiError);
  }
  /** The scope that would allow it, e.g. "tickets:read". */
  readonly requiredScope: string;
  /** The input field refused, e.g. "chatId"; undefined when the whole operation is. */
  readonly field: string | undefined;
  constructor(message: string, errors: readonly GraphQLErrorPayload[]) {
    super(message, 'FORBIDDEN', errors);
    this.requiredScope = String(this.extensions.requiredScope ?? '');
    this.field = typeof this.extensions.field === 'string' ? this.extensions.field : undefined;
  }
}

/** An agent operation on an unknown ticket number. */
export class NotFoundError extends TicketApiError {
  static override readonly kind = 'NotFoundError';
  static {
    brand(this, TicketApiError);
  }
  constructor(message: string, errors: readonly GraphQLErrorPayload[]) {
    super(message, 'NOT_FOUND', errors);
  }
}

/** Too many requests; try again after `retryAfter` seconds. */
export class RateLimitedError extends TicketApiError {
  static override readonly kind = 'RateLimitedError';
  static {
    brand(this, TicketApiError);
  }
  readonly retryAfter: number;
  constructor(message: string, errors: readonly GraphQLErrorPayload[]) {
    super(message, 'RATE_LIMITED', errors);
    this.retryAfter = Number(this.extensions.retryAfter) || 1;
  }
}

/** The service cannot reach its database right now; try again after `retryAfter` seconds. */
export class ServiceUnavailableError extends TicketApiError {
  static override readonly kind = 'ServiceUnavailableError';
  static {
    brand(this, TicketApiError);
  }
  readonly retryAfter: number;
  constructor(message: string, errors: readonly GraphQLErrorPayload[]) {
    super(message, 'SERVICE_UNAVAILABLE', errors);
    this.retryAfter = Number(this.extensions.retryAfter) || 1;
  }
}

/** A subscription the server ended because its subscriber fell more than `limit` updates behind; subscribe again (and read `ticketChanges` from your last cursor). */
export class SlowConsumerError extends TicketApiError {
  static override readonly kind = 'SlowConsumerError';
  static {
    brand(this, TicketApiError);
  }
  readonly limit: number;
  constructor(message: string, errors: readonly GraphQLErrorPayload[]) {
    super(message, 'SLOW_CONSUMER', errors);
    this.limit = Number(this.extensions.limit) || 0;
  }
}

/** The request did not get a GraphQL answer: connection failure, timeout, or a non-GraphQL HTTP reply. */
export class NetworkError extends TicketApiError {
  static override readonly kind = 'NetworkError';
  static {
    brand(this, TicketApiError);
  }
  /** HTTP status when a reply came, else undefined. */
  readonly status?: number;
  constructor(message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, 'NETWORK_ERROR', [], { cause: options.cause });
    this.status = options.status;
  }
}

/** Why the server refused the bytes of an upload (the PUT to uploadUrl). */
export type AttachmentRejection = 'too_large' | 'wrong_type' | 'wrong_length' | 'gone' | 'forbidden' | 'unknown';

/**
 * The PUT of an upload was refused: `too_large` (413, over maxBytes),
 * `wrong_type` (415, bytes not of an allowed type or not the declared
 * one), `wrong_length` (400, not exactly `size` bytes), `gone` (410, the
 * upload URL expired or was used), `forbidden` (403, a damaged URL).
 * Nothing was stored; call uploadAttachment again.
 */
export class AttachmentRejectedError extends TicketApiError {
  static override readonly kind = 'AttachmentRejectedError';
  static {
    brand(this, TicketApiError);
  }
  readonly status: number;
  readonly reason: AttachmentRejection;
  constructor(message: string, status: number, reason: AttachmentRejection) {
    super(message, 'ATTACHMENT_REJECTED', [{ message, extensions: { code: 'ATTACHMENT_REJECTED', status, reason } }]);
    this.status = status;
    this.reason = reason;
  }
}

const BY_CODE: Record<string, new (message: string, errors: readonly GraphQLErrorPayload[]) => TicketApiError> = {
  DUPLICATE_ENTRY: DuplicateEntryError,
  BAD_USER_INPUT: ValidationError,
  UNAUTHENTICATED: UnauthenticatedError,
  FORBIDDEN: ForbiddenError,
  NOT_FOUND: NotFoundError,
  RATE_LIMITED: RateLimitedError,
  SERVICE_UNAVAILABLE: ServiceUnavailableError,
  SLOW_CONSUMER: SlowConsumerError,
};

/** The error to throw for a GraphQL error response. */
export function errorFromResponse(errors: readonly GraphQLErrorPayload[]): TicketApiError {
  const first = errors[0] ?? { message: 'Unknown error' };
  const code = typeof first.extensions?.code === 'string' ? first.extensions.code : 'INTERNAL_SERVER_ERROR';
  const Class = BY_CODE[code];
  return Class ? new Class(first.message, errors) : new TicketApiError(first.message, code, errors);
}

/** What other GraphQL clients hand you: a plain list, or an error object that carries one. */
export type GraphQLErrorsLike =
  | readonly GraphQLErrorPayload[]
  /** Apollo Client 4's CombinedGraphQLErrors. */
  | { readonly errors: readonly GraphQLErrorPayload[] }
  /** urql's CombinedError (and Apollo Client 3's ApolloError). */
  | { readonly graphQLErrors: readonly GraphQLErrorPayload[]; readonly networkError?: unknown };

/**
 * The error class for a GraphQL error list from another client: Apollo
 * Client 4 (`CombinedGraphQLErrors`, or its `.errors`), urql
 * (`result.error`, a CombinedError, or its `.graphQLErrors`), or a plain
 * `errors` array from a response. Chosen by the first error's
 * `extensions.code`, as the SDK's own client does. A urql error with only a
 * network failure becomes a NetworkError.
 */
export function toTicketApiError(errors: GraphQLErrorsLike): TicketApiError {
  if (Array.isArray(errors)) return errorFromResponse(errors);
  const carrier = errors as { errors?: unknown; graphQLErrors?: unknown; networkError?: unknown; message?: unknown };
  if (Array.isArray(carrier.errors)) return errorFromResponse(carrier.errors);
  if (Array.isArray(carrier.graphQLErrors) && carrier.graphQLErrors.length)
    return errorFromResponse(carrier.graphQLErrors);
  if (carrier.networkError)
    return new NetworkError(String((carrier.networkError as Error).message ?? carrier.networkError), {
      cause: carrier.networkError,
    });
  return errorFromResponse([]);
}

export const isTicketApiError = (e: unknown): e is TicketApiError => e instanceof TicketApiError;
export const isDuplicateEntryError = (e: unknown): e is DuplicateEntryError => e instanceof DuplicateEntryError;
export const isValidationError = (e: unknown): e is ValidationError => e instanceof ValidationError;
export const isUnauthenticatedError = (e: unknown): e is UnauthenticatedError => e instanceof UnauthenticatedError;
export const isForbiddenError = (e: unknown): e is ForbiddenError => e instanceof ForbiddenError;
export const isNotFoundError = (e: unknown): e is NotFoundError => e instanceof NotFoundError;
export const isRateLimitedError = (e: unknown): e is RateLimitedError => e instanceof RateLimitedError;
export const isServiceUnavailableError = (e: unknown): e is ServiceUnavailableError =>
  e instanceof ServiceUnavailableError;
export const isSlowConsumerError = (e: unknown): e is SlowConsumerError => e instanceof SlowConsumerError;
export const isNetworkError = (e: unknown): e is NetworkError => e instanceof NetworkError;
export const isAttachmentRejectedError = (e: unknown): e is AttachmentRejectedError =>
  e instanceof AttachmentRejectedError;
