// The Ticket API client: one method per operation, types from codegen,
// the platform's fetch, nothing else at run time.
import {
  AddInternalNoteDocument,
  AssignTicketDocument,
  CustomerDataDocument,
  EraseCustomerDocument,
  type CustomerDataQuery,
  type EraseCustomerMutation,
  CreateTicketDocument,
  CreateUploadDocument,
  ResolveTicketDocument,
  RespondToTicketDocument,
  ReplyAsCustomerDocument,
  TicketTimelineDocument,
  CreateWebhookDocument,
  DeleteWebhookDocument,
  ReplayWebhookDocument,
  UpdateWebhookDocument,
  WebhookDeliveriesDocument,
  WebhooksDocument,
  SetSlaPoliciesDocument,
  SlaPoliciesDocument,
  SearchTicketsDocument,
  CustomFieldsDocument,
  UpdateTicketFieldsDocument,
  ViewsDocument,
  SaveViewDocument,
  DeleteViewDocument,
  SavedRepliesDocument,
  type CustomFieldsQuery,
  type SavedRepliesQuery,
  type SearchTicketsQueryVariables,
  type TicketViewFieldsFragment,
  type TicketViewInput,
  type UpdateTicketFieldsMutation,
  type UpdateTicketFieldsMutationVariables,
  StartBulkChangeDocument,
  BulkJobDocument,
  type StartBulkChangeMutationVariables,
  type BulkJobFieldsFragment,
  type SlaPolicyInput,
  type SlaPolicyFieldsFragment,
  type CreateWebhookMutation,
  type CreateWebhookMutationVariables,
  type ReplayWebhookMutationVariables,
  type UpdateWebhookMutationVariables,
  type WebhookDeliveriesQuery,
  type WebhookDeliveriesQueryVariables,
  TicketChangedDocument,
  TicketUpdatedDocument,
  type TicketChangedSubscription,
  TicketChangesDocument,
  TicketDocument,
  TicketsCountDocument,
  TicketsDocument,
  TrackTicketDocument,
  ChatLinkValidDocument,
  UpdateTicketStatusDocument,
  type TicketChangesQuery,
  type TicketChangesQueryVariables,
  type TicketsQuery,
  type TicketsQueryVariables,
  type TicketFilter,
  type CreateTicketInput,
  type CreateTicketMutation,
  type TicketTimelineQuery,
  type TicketTimelineQueryVariables,
  type TrackTicketQuery,
  type TicketQuery,
  type TrackTicketQueryVariables,
  type UpdateTicketStatusMutationVariables,
  type TypedDocumentString,
} from './generated/graphql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws/client';
import {
  AttachmentRejectedError,
  errorFromResponse,
  NetworkError,
  type AttachmentRejection,
  RateLimitedError,
  ServiceUnavailableError,
  TicketApiError,
  type GraphQLErrorPayload,
} from './errors';

export type Ticket = Omit<CreateTicketMutation['createTicket'], 'customerKey'>;
/** createTicket's answer: the ticket and its customerKey (given only here: keep it for trackTicket and replyAsCustomer). */
export type CreatedTicket = CreateTicketMutation['createTicket'];
export type TimelineEvent = Ticket['timeline'][number];
/** A ticket as `ticket` reads it for agents: every event also says what email it sent the customer. */
export type AgentTicket = NonNullable<TicketQuery['ticket']>;
export type AgentTimelineEvent = AgentTicket['timeline'][number];
export type CustomerData = CustomerDataQuery['customerData'];
export type ErasureReport = EraseCustomerMutation['eraseCustomer'];

export type Attachment = TimelineEvent['attachments'][number];

/** The bytes of an attachment: a browser File or Blob, or a Node Buffer / Uint8Array / ArrayBuffer. */
export type AttachmentBody = Blob | Uint8Array | ArrayBuffer;

export interface UploadAttachmentOptions {
  /** The file's name; defaults to a File's own name. */
  filename?: string;
  /** Its MIME type (image/png, image/jpeg, image/gif, image/webp, application/pdf, text/plain); defaults to a Blob's type. */
  contentType?: string;
  /**
   * Called as the bytes go out. fetch cannot report upload progress: where
   * XMLHttpRequest exists (browsers) it is used instead; elsewhere this is
   * called once, when the upload is done.
   */
  onProgress?(sent: number, total: number): void;
}
/** A ticket in a list (listing, the feed): every field but the timeline. */
export type TicketSummary = TicketsQuery['tickets']['edges'][number]['node'];
export type TicketPage = TicketsQuery['tickets'];
/** A custom field's definition (customFields). */
export type CustomFieldDefinition = CustomFieldsQuery['customFields'][number];
/** A ticket as updateTicketFields answers: every field, its tags and custom field values. */
export type TicketWithFields = UpdateTicketFieldsMutation['updateTicketFields'];
/** A saved view with its count. */
export type TicketView = TicketViewFieldsFragment;
export type SavedReply = SavedRepliesQuery['savedReplies'][number];
export type TicketChangePage = TicketChangesQuery['ticketChanges'];
export type TicketChange = TicketChangePage['changes'][number];
export type Webhook = CreateWebhookMutation['createWebhook']['webhook'];
export type WebhookWithSecret = CreateWebhookMutation['createWebhook'];
export type WebhookDelivery = WebhookDeliveriesQuery['webhookDeliveries'][number];

export interface RetryOptions {
  /** Attempts in all, including the first (default 3). */
  attempts?: number;
  /** First backoff delay; doubles each time, with jitter (default 250 ms). */
  baseDelayMs?: number;
  /** Never wait longer than this between attempts (default 10 s). */
  maxDelayMs?: number;
}

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. "http://127.0.0.1:4000/graphql". */
  url: string;
  /** Agent bearer token, for the agent operations. */
  token?: string;
  /** A fetch implementation; defaults to the platform's. */
  fetch?: typeof fetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
  /** Abort a request after this long (default 30 s); it then fails with NetworkError. */
  timeoutMs?: number;
  /**
   * Retry NetworkError, ServiceUnavailableError and RateLimitedError
   * (honouring retryAfter). Off by default. createTicket is always safe to
   * retry: it carries an idempotency key.
   */
  retry?: boolean | RetryOptions;
  /**
   * A WebSocket implementation for the subscriptions where there is no
   * global one (Node 20: `import WebSocket from 'ws'`). Browsers need none.
   */
  webSocketImpl?: unknown;
  /** The subscriptions endpoint; defaults to `url` with http(s) turned into ws(s). */
  wsUrl?: string;
  /** Abort the bytes of an upload after this long (default 5 minutes). */
  uploadTimeoutMs?: number;
  /**
   * Send each operation as its id (`documentId: "sha256:<hex>"`, the
   * server's trusted documents) rather than its text; default true. A
   * server that answers PERSISTED_DOCUMENT_NOT_FOUND gets the text instead
   * (once per operation and client).
   */
  documentIds?: boolean;
}

/** What a subscription calls: each value, then an error or the end. */
export interface Observer<T> {
  next(value: T): void;
  /** A TicketApiError: the typed classes apply (e.g. ValidationError, UnauthenticatedError, NetworkError). */
  error?(error: TicketApiError): void;
  /** The server ended it (an unknown ticket ends at once, without a value). */
  complete?(): void;
  /**
   * The connection dropped and came back (the SDK reconnects by itself):
   * values sent meanwhile were missed, so re-read what you show.
   */
  reconnected?(): void;
}

/** Stops the subscription. */
export type Unsubscribe = () => void;

export interface TicketClient {
  /**
   * Public (or tickets:write). Upload a file and get the id to put in
   * `attachmentIds` (createTicket, respondToTicket, addInternalNote). A refused upload throws
   * AttachmentRejectedError (reason too_large, wrong_type, wrong_length,
   * gone, forbidden); a size over the server's limit, a ValidationError.
   */
  uploadAttachment(file: AttachmentBody, options?: UploadAttachmentOptions): Promise<string>;
  /** Open a ticket. Without an idempotencyKey one is generated, so retries never make a second ticket. */
  createTicket(input: CreateTicketInput): Promise<CreatedTicket>;
  /**
   * The ticket with this number and email, or with its customerKey (exactly
   * one of the two), or null (a wrong email, a wrong key and an unknown number look the same).
   */
  trackTicket(args: TrackTicketQueryVariables): Promise<Ticket | null>;
  /**
   * Public. The customer answers with the key createTicket gave
   * (`customerKey`): a CUSTOMER_REPLY; WAITING_ON_CUSTOMER and RESOLVED
   * tickets move back to OPEN. A wrong key or an unknown number throws
   * NotFoundError; a CLOSED ticket ValidationError on field `ticketNumber`.
   */
  replyAsCustomer(args: {
    ticketNumber: string;
    key: string;
    message: string;
    attachmentIds?: string[] | null;
  }): Promise<Ticket>;
  /** Whether a chat link's chatSignature is its chatId's: createTicket would accept it (check a link before the form is filled). */
  chatLinkValid(args: { chatId: string; chatSignature: string }): Promise<boolean>;
  /** The timeline, oldest first, or null. */
  ticketTimeline(args: TicketTimelineQueryVariables): Promise<TimelineEvent[] | null>;
  /** Agents: answer the customer. */
  respondToTicket(args: { ticketNumber: string; message: string; attachmentIds?: string[] | null }): Promise<Ticket>;
  /** Agents: move the ticket to another status. */
  updateTicketStatus(args: UpdateTicketStatusMutationVariables): Promise<Ticket>;
  /** Agents: resolve the ticket with notes for the customer. */
  resolveTicket(args: { ticketNumber: string; resolutionNotes: string }): Promise<Ticket>;
  /** tickets:read. The ticket with this number (with its timeline and actors), or null. */
  ticket(args: { ticketNumber: string }): Promise<AgentTicket | null>;
  /** Agents: a note for colleagues (INTERNAL_NOTE), never shown to the customer. */
  addInternalNote(args: { ticketNumber: string; message: string; attachmentIds?: string[] | null }): Promise<Ticket>;
  /** Agents: assign the ticket to an agent's identifier, or unassign it with null. */
  assignTicket(args: { ticketNumber: string; assignee: string | null }): Promise<Ticket>;
  /** tickets:read. One page of tickets; pass pageInfo.endCursor as `after` for the next. */
  tickets(args?: TicketsQueryVariables): Promise<TicketPage>;
  /**
   * tickets:read. Walk a listing: an async iterator over its pages, each
   * fetched when asked for (`for await (const page of client.listTickets({ filter }))`),
   * following pageInfo.endCursor. `.items()` iterates the tickets themselves.
   * Stop early with `break`: nothing more is fetched.
   */
  listTickets(args?: Omit<TicketsQueryVariables, 'after'> & { after?: string | null }): TicketPages;
  /** tickets:read. How many tickets match the filter. */
  ticketsCount(args?: { filter?: TicketFilter | null }): Promise<number>;
  /** tickets:read. One page of the change feed; keep passing endCursor back as `after`. */
  ticketChanges(args?: TicketChangesQueryVariables): Promise<TicketChangePage>;
  /** tickets:read. One page of a search, best matches first (the same rows as a listing's); pass pageInfo.endCursor as `after`. */
  searchTickets(args: SearchTicketsQueryVariables): Promise<TicketPage>;
  /** tickets:read. Every custom field defined, by key. */
  customFields(): Promise<CustomFieldDefinition[]>;
  /** tickets:write. Replace a ticket's tags (when given) and set or clear custom field values; a bad value throws ValidationError on `fields.<key>`. */
  updateTicketFields(args: UpdateTicketFieldsMutationVariables): Promise<TicketWithFields>;
  /** tickets:read. Your saved views and the shared ones, by name, each with its count. */
  views(): Promise<TicketView[]>;
  /** tickets:read. Save a view for yourself (shared: settings:manage); with id, replace one you keep. */
  saveView(args: { input: TicketViewInput }): Promise<TicketView>;
  /** tickets:read. Delete a view you keep; false when there is none. */
  deleteView(args: { id: string }): Promise<boolean>;
  /** tickets:read. Every saved reply, by name. */
  savedReplies(): Promise<SavedReply[]>;
  /** tickets:read. The service-level policies, in the order they are tried. */
  slaPolicies(): Promise<SlaPolicyFieldsFragment[]>;
  /** settings:manage. Replace every service-level policy; running deadlines of open tickets move. */
  setSlaPolicies(args: { policies: SlaPolicyInput[] }): Promise<SlaPolicyFieldsFragment[]>;
  /** tickets:write. Change many tickets (exactly one of ticketNumbers and viewId) in the background; follow it with bulkJob. */
  startBulkChange(args: StartBulkChangeMutationVariables): Promise<BulkJobFieldsFragment>;
  /** tickets:read. A bulk job's progress; null for an unknown id. */
  bulkJob(args: { id: string }): Promise<BulkJobFieldsFragment | null>;
  /** customers:read. Everything held about an email: its tickets with every event. */
  customerData(args: { email: string }): Promise<CustomerData>;
  /** customers:erase. Erase an email's personal data from every ticket; zeros when nothing is left. */
  eraseCustomer(args: { email: string }): Promise<ErasureReport>;
  /** webhooks:manage. The caller's webhooks (every one with webhooks:admin). */
  webhooks(): Promise<Webhook[]>;
  /** webhooks:manage and tickets:read. POST events to a URL from now on; the secret is returned only here. */
  createWebhook(args: CreateWebhookMutationVariables): Promise<WebhookWithSecret>;
  /** webhooks:manage and tickets:read. Change a webhook; `enabled: true` resumes a disabled one. */
  updateWebhook(args: UpdateWebhookMutationVariables): Promise<Webhook>;
  /** webhooks:manage. Delete a webhook. */
  deleteWebhook(args: { id: string }): Promise<boolean>;
  /** webhooks:manage. The latest deliveries of a webhook, newest first. */
  webhookDeliveries(args: WebhookDeliveriesQueryVariables): Promise<WebhookDelivery[]>;
  /** webhooks:manage. Send everything after a change-feed cursor again (`after` null: from the start), in order, same webhook-ids. */
  replayWebhook(args: ReplayWebhookMutationVariables): Promise<Webhook>;
  /**
   * Public. The ticket now, then again after each change, live. Reconnects
   * by itself after a network failure (and sends the current state again).
   * An unknown number or a wrong email completes at once, without a value.
   */
  subscribeToTicket(
    args: { ticketNumber: string; email?: string | null; key?: string | null },
    observer: Observer<Ticket>,
  ): Unsubscribe;
  /**
   * tickets:read. Every change of the feed from now on. For a gap-free record, read ticketChanges with a cursor.
   * After a dropped connection it goes on from the moment it is back: `observer.reconnected` says when, to re-read.
   */
  subscribeToChanges(observer: Observer<LiveChange>): Unsubscribe;
  /** Close the subscriptions' connection (HTTP needs nothing). */
  close(): Promise<void>;
}

export type LiveChange = TicketChangedSubscription['ticketChanged'];

/** The pages of a listing, fetched one at a time as the loop asks; `items()` for the tickets one by one. */
export interface TicketPages extends AsyncIterable<TicketPage> {
  items(): AsyncIterable<TicketSummary>;
}

/**
 * Pages from `fetchPage`, starting after `start`, until one says there are
 * no more. A server that says "more" but gives no cursor, or a cursor it
 * gave before, would have the walk loop forever: that fails with NetworkError.
 */
export function ticketPages(
  fetchPage: (after: string | null) => Promise<TicketPage>,
  start: string | null = null,
): TicketPages {
  async function* pages(): AsyncGenerator<TicketPage> {
    let after = start;
    const seen = new Set<string>(start ? [start] : []);
    for (;;) {
      const page = await fetchPage(after);
      yield page;
      const { hasNextPage, endCursor } = page.pageInfo;
      if (!hasNextPage) return;
      if (!endCursor) throw new NetworkError('The listing says there is a next page but gave no endCursor to reach it');
      if (seen.has(endCursor))
        throw new NetworkError('The listing repeated an endCursor: following it would never end');
      seen.add(endCursor);
      after = endCursor;
    }
  }
  return {
    [Symbol.asyncIterator]: pages,
    async *items() {
      for await (const page of pages()) for (const edge of page.edges) yield edge.node;
    },
  };
}

/** A closed socket or a transport error, as the typed errors. */
function subscriptionError(error: unknown): TicketApiError {
  if (Array.isArray(error)) return errorFromResponse(error);
  const close = error as { code?: number; reason?: string };
  if (typeof close?.code === 'number') {
    if (close.code === 4403)
      return errorFromResponse([{ message: close.reason || 'Forbidden', extensions: { code: 'UNAUTHENTICATED' } }]);
    if (close.code === 4429)
      return errorFromResponse([
        { message: close.reason || 'Too many connections', extensions: { code: 'RATE_LIMITED', retryAfter: 5 } },
      ]);
    if (close.code === 1013)
      return errorFromResponse([
        { message: close.reason || 'Service unavailable', extensions: { code: 'SERVICE_UNAVAILABLE', retryAfter: 5 } },
      ]);
    return new NetworkError(
      `Subscription connection closed (${close.code}${close.reason ? `: ${close.reason}` : ''})`,
      { cause: error },
    );
  }
  return new NetworkError('Subscription connection failed', { cause: error });
}

/** Closes that retrying cannot fix: a bad token, a refused request. */
const FINAL_CLOSE_CODES = new Set([4400, 4403, 4429, 1008]);

const DEFAULT_TIMEOUT_MS = 30_000;

function retryPolicy(retry: ClientOptions['retry']): Required<RetryOptions> {
  const o = typeof retry === 'object' ? retry : {};
  return {
    attempts: retry ? (o.attempts ?? 3) : 1,
    baseDelayMs: o.baseDelayMs ?? 250,
    maxDelayMs: o.maxDelayMs ?? 10_000,
  };
}

/** How long to wait before the next attempt, or null when the error is not worth retrying. */
export function retryDelay(error: unknown, attempt: number, policy: Required<RetryOptions>): number | null {
  if (attempt >= policy.attempts) return null;
  if (error instanceof RateLimitedError || error instanceof ServiceUnavailableError) {
    return Math.min(policy.maxDelayMs, error.retryAfter * 1000);
  }
  if (error instanceof NetworkError) {
    const backoff = policy.baseDelayMs * 2 ** (attempt - 1);
    return Math.min(policy.maxDelayMs, backoff / 2 + Math.random() * (backoff / 2));
  }
  return null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const DEFAULT_UPLOAD_TIMEOUT_MS = 5 * 60_000;
const REJECTIONS: Record<number, AttachmentRejection> = {
  413: 'too_large',
  415: 'wrong_type',
  400: 'wrong_length',
  410: 'gone',
  403: 'forbidden',
};

const sizeOf = (body: AttachmentBody): number =>
  body instanceof ArrayBuffer ? body.byteLength : 'size' in body ? body.size : body.byteLength;

/** The error for a refused PUT, from its status and JSON body ({ error, message }). */
function rejection(status: number, text: string): AttachmentRejectedError {
  let body: { error?: string; message?: string } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Not ours (a proxy's page): the status says enough.
  }
  const reason = (Object.values(REJECTIONS) as string[]).includes(body.error ?? '')
    ? (body.error as AttachmentRejection)
    : (REJECTIONS[status] ?? 'unknown');
  return new AttachmentRejectedError(body.message ?? `The upload was refused (HTTP ${status}).`, status, reason);
}

/** PUT with XMLHttpRequest, for its upload progress events (browsers). */
function putWithProgress(
  url: string,
  body: AttachmentBody,
  contentType: string,
  timeoutMs: number,
  onProgress: (sent: number, total: number) => void,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.setRequestHeader('content-type', contentType);
    xhr.timeout = timeoutMs;
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.total || sizeOf(body));
    xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
    xhr.onerror = () => reject(new NetworkError(`Could not upload to ${new URL(url).origin}`));
    xhr.ontimeout = () => reject(new NetworkError(`Upload to ${new URL(url).origin} took longer than ${timeoutMs} ms`));
    xhr.send(body as XMLHttpRequestBodyInit);
  });
}

/** The server does not know the id sent (its trusted documents are another build's, or off). */
const isUnknownDocument = (errors: GraphQLErrorPayload[] | undefined): boolean =>
  errors?.length === 1 && errors[0]?.extensions?.code === 'PERSISTED_DOCUMENT_NOT_FOUND';

function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

export function createClient(options: ClientOptions): TicketClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new TypeError('createClient: no fetch available; pass options.fetch');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy = retryPolicy(options.retry);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json, application/json',
    ...options.headers,
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  };

  /** Ids this server said it does not know: their text goes instead. */
  const unknownIds = new Set<string>();
  /** The id to send for this document, or undefined to send its text. */
  const idOf = (document: TypedDocumentString<unknown, unknown>): string | undefined => {
    const id = options.documentIds === false ? undefined : (document.__meta__?.hash as string | undefined);
    return id && !unknownIds.has(id) ? id : undefined;
  };

  async function once<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
    const id = idOf(document as TypedDocumentString<unknown, unknown>);
    let response: Response;
    try {
      response = await doFetch(options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(id ? { documentId: id, variables } : { query: document.toString(), variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      const timedOut = (cause as Error)?.name === 'TimeoutError';
      throw new NetworkError(
        timedOut ? `No answer from ${options.url} within ${timeoutMs} ms` : `Could not reach ${options.url}`,
        { cause },
      );
    }
    let body: { data?: R | null; errors?: GraphQLErrorPayload[] };
    try {
      body = await response.json();
    } catch (cause) {
      throw new NetworkError(`Unexpected answer from ${options.url} (HTTP ${response.status}, not GraphQL JSON)`, {
        cause,
        status: response.status,
      });
    }
    if (id && isUnknownDocument(body?.errors)) {
      unknownIds.add(id);
      return once(document, variables);
    }
    if (body?.errors?.length) throw errorFromResponse(body.errors);
    if (!body || body.data === undefined || body.data === null) {
      throw new NetworkError(`Unexpected answer from ${options.url} (HTTP ${response.status}, no data)`, {
        status: response.status,
      });
    }
    return body.data;
  }

  async function request<R, V>(document: TypedDocumentString<R, V>, variables: V): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(document, variables);
      } catch (error) {
        const delay = retryDelay(error, attempt, policy);
        if (delay === null)
          throw error instanceof TicketApiError ? error : new NetworkError(String(error), { cause: error });
        await sleep(delay);
      }
    }
  }

  const wsUrl = options.wsUrl ?? options.url.replace(/^http/, 'ws');
  let ws: WsClient | undefined;
  function live(): WsClient {
    ws ??= createWsClient({
      url: wsUrl,
      webSocketImpl: options.webSocketImpl,
      connectionParams: options.token ? { authorization: `Bearer ${options.token}` } : {},
      lazy: true,
      // Network failures and server restarts: reconnect, with graphql-ws's backoff, for as long as it takes.
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: (e) => !FINAL_CLOSE_CODES.has((e as { code?: number })?.code ?? 0),
      // Back off, but never more than ~10 s between tries: a live page should come back soon.
      retryWait: (retries) => sleep(Math.min(500 * 2 ** retries, 10_000) * (0.5 + Math.random() / 2)),
    });
    return ws;
  }

  function subscribe<R, V, T>(
    document: TypedDocumentString<R, V>,
    variables: V,
    pick: (data: R) => T,
    observer: Observer<T>,
  ): Unsubscribe {
    // graphql-ws says wasRetry on a connection after a drop; it subscribes again right after.
    const off = observer.reconnected
      ? live().on('connected', (_socket, _payload, wasRetry) => {
          if (wasRetry) observer.reconnected?.();
        })
      : undefined;
    let stopped = false;
    let stop = () => {};
    const start = () => {
      const id = idOf(document as TypedDocumentString<unknown, unknown>);
      // graphql-ws wants a query string: an empty one goes with an id.
      const payload = id
        ? { query: '', documentId: id, variables: variables as Record<string, unknown> }
        : { query: document.toString(), variables: variables as Record<string, unknown> };
      stop = live().subscribe<R>(payload, {
        next: (result) => {
          if (result.errors?.length) observer.error?.(errorFromResponse(result.errors as GraphQLErrorPayload[]));
          else if (result.data) observer.next(pick(result.data as R));
        },
        error: (e) => {
          if (id && Array.isArray(e) && isUnknownDocument(e as GraphQLErrorPayload[])) {
            unknownIds.add(id);
            if (!stopped) start();
            return;
          }
          observer.error?.(subscriptionError(e));
        },
        complete: () => observer.complete?.(),
      });
    };
    start();
    return () => {
      stopped = true;
      off?.();
      stop();
    };
  }

  const uploadTimeoutMs = options.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS;
  async function putBytes(
    url: string,
    body: AttachmentBody,
    contentType: string,
    onProgress?: (sent: number, total: number) => void,
  ): Promise<{ status: number; text: string }> {
    if (onProgress && typeof XMLHttpRequest !== 'undefined')
      return putWithProgress(url, body, contentType, uploadTimeoutMs, onProgress);
    try {
      const response = await doFetch(url, {
        method: 'PUT',
        headers: { 'content-type': contentType },
        body: body as BodyInit,
        signal: AbortSignal.timeout(uploadTimeoutMs),
      });
      const text = await response.text();
      onProgress?.(sizeOf(body), sizeOf(body));
      return { status: response.status, text };
    } catch (cause) {
      throw new NetworkError(`Could not upload to ${new URL(url).origin}`, { cause });
    }
  }

  return {
    async uploadAttachment(file, uploadOptions = {}) {
      const filename = uploadOptions.filename ?? (file as { name?: string }).name;
      const contentType = uploadOptions.contentType || (file as { type?: string }).type;
      if (!filename || !contentType)
        throw new TypeError('uploadAttachment: pass { filename, contentType } (a File carries its own)');
      const size = sizeOf(file);
      const { createUpload } = await request(CreateUploadDocument, { filename, contentType, size });
      const answer = await putBytes(createUpload.uploadUrl, file, contentType, uploadOptions.onProgress);
      if (answer.status !== 201) throw rejection(answer.status, answer.text);
      return createUpload.attachmentId;
    },
    async createTicket(input) {
      // One key per call, reused by every retry of it.
      const withKey = { ...input, idempotencyKey: input.idempotencyKey ?? newIdempotencyKey() };
      return (await request(CreateTicketDocument, { input: withKey })).createTicket;
    },
    async chatLinkValid(args: { chatId: string; chatSignature: string }): Promise<boolean> {
      return (await request(ChatLinkValidDocument, args)).chatLinkValid;
    },
    async trackTicket(args: TrackTicketQueryVariables): Promise<TrackTicketQuery['trackTicket']> {
      return (await request(TrackTicketDocument, args)).trackTicket;
    },
    async ticketTimeline(args: TicketTimelineQueryVariables): Promise<TicketTimelineQuery['ticketTimeline']> {
      return (await request(TicketTimelineDocument, args)).ticketTimeline;
    },
    async replyAsCustomer(args) {
      return (await request(ReplyAsCustomerDocument, args)).replyAsCustomer;
    },
    async respondToTicket(args) {
      return (await request(RespondToTicketDocument, args)).respondToTicket;
    },
    async updateTicketStatus(args) {
      return (await request(UpdateTicketStatusDocument, args)).updateTicketStatus;
    },
    async resolveTicket(args) {
      return (await request(ResolveTicketDocument, args)).resolveTicket;
    },
    async ticket(args) {
      return (await request(TicketDocument, args)).ticket;
    },
    async addInternalNote(args) {
      return (await request(AddInternalNoteDocument, args)).addInternalNote;
    },
    async assignTicket(args) {
      return (await request(AssignTicketDocument, args)).assignTicket;
    },
    async tickets(args = {}) {
      return (await request(TicketsDocument, args)).tickets;
    },
    listTickets(args = {}) {
      return ticketPages(
        async (after) => (await request(TicketsDocument, { ...args, after })).tickets,
        args.after ?? null,
      );
    },
    async ticketsCount(args = {}) {
      return (await request(TicketsCountDocument, args)).tickets.totalCount;
    },
    async ticketChanges(args = {}) {
      return (await request(TicketChangesDocument, args)).ticketChanges;
    },
    async searchTickets(args) {
      return (await request(SearchTicketsDocument, args)).searchTickets;
    },
    async customFields() {
      return (await request(CustomFieldsDocument, {})).customFields;
    },
    async updateTicketFields(args) {
      return (await request(UpdateTicketFieldsDocument, args)).updateTicketFields;
    },
    async views() {
      return (await request(ViewsDocument, {})).views;
    },
    async saveView(args) {
      return (await request(SaveViewDocument, args)).saveView;
    },
    async deleteView(args) {
      return (await request(DeleteViewDocument, args)).deleteView;
    },
    async savedReplies() {
      return (await request(SavedRepliesDocument, {})).savedReplies;
    },
    async slaPolicies() {
      return (await request(SlaPoliciesDocument, {})).slaPolicies;
    },
    async setSlaPolicies(args) {
      return (await request(SetSlaPoliciesDocument, args)).setSlaPolicies;
    },
    async startBulkChange(args) {
      return (await request(StartBulkChangeDocument, args)).startBulkChange;
    },
    async bulkJob(args) {
      return (await request(BulkJobDocument, args)).bulkJob;
    },
    async customerData(args) {
      return (await request(CustomerDataDocument, args)).customerData;
    },
    async eraseCustomer(args) {
      return (await request(EraseCustomerDocument, args)).eraseCustomer;
    },
    async webhooks() {
      return (await request(WebhooksDocument, {})).webhooks;
    },
    async createWebhook(args) {
      return (await request(CreateWebhookDocument, args)).createWebhook;
    },
    async updateWebhook(args) {
      return (await request(UpdateWebhookDocument, args)).updateWebhook;
    },
    async deleteWebhook(args) {
      return (await request(DeleteWebhookDocument, args)).deleteWebhook;
    },
    async webhookDeliveries(args) {
      return (await request(WebhookDeliveriesDocument, args)).webhookDeliveries;
    },
    async replayWebhook(args) {
      return (await request(ReplayWebhookDocument, args)).replayWebhook;
    },
    subscribeToTicket(args, observer) {
      return subscribe(TicketUpdatedDocument, args, (d) => d.ticketUpdated, observer);
    },
    subscribeToChanges(observer) {
      return subscribe(TicketChangedDocument, {}, (d) => d.ticketChanged, observer);
    },
    async close() {
      await ws?.dispose();
      ws = undefined;
    },
  };
}
