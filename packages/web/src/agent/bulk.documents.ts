// Bulk changes: the two GraphQL documents the bulk bar sends, and their
// types, kept here until the API's startBulkChange / bulkJob are on this
// branch. Then these documents move to packages/sdk/src/operations/ (as
// startBulkChange.graphql and bulkJob.graphql: codegen types them, and they
// become trusted documents sent by id), `bulkApi` below becomes two calls of
// the SDK's client, and this file goes. Until then this is the web client's
// one request that is not the SDK's: its text, with the agent's token (a
// token may send any document), through the SDK's error classes.
import {
  errorFromResponse,
  NetworkError,
  type GraphQLErrorPayload,
  type TicketPriority,
  type TicketStatus,
} from '@tickets/sdk';

export const START_BULK_CHANGE = `mutation StartBulkChange($ticketNumbers: [String!], $viewId: ID, $change: BulkChangeInput!) {
  startBulkChange(ticketNumbers: $ticketNumbers, viewId: $viewId, change: $change) { ...BulkJobFields }
}
fragment BulkJobFields on BulkJob {
  id state total done changed failed failures { ticketNumber code message } createdAt finishedAt
}`;

export const BULK_JOB = `query BulkJob($id: ID!) {
  bulkJob(id: $id) { ...BulkJobFields }
}
fragment BulkJobFields on BulkJob {
  id state total done changed failed failures { ticketNumber code message } createdAt finishedAt
}`;

/** BulkChangeInput: only what is given changes. */
export interface BulkChange {
  status?: TicketStatus | null;
  assignee?: string | null;
  unassign?: boolean | null;
  priority?: TicketPriority | null;
  addTags?: string[] | null;
  removeTags?: string[] | null;
}

export type BulkJobState = 'RUNNING' | 'DONE';

export interface BulkJob {
  id: string;
  state: BulkJobState;
  total: number;
  done: number;
  changed: number;
  failed: number;
  failures: { ticketNumber: string; code: string; message: string }[];
  createdAt: string;
  finishedAt: string | null;
}

export interface BulkApi {
  startBulkChange(args: {
    ticketNumbers?: string[] | null;
    viewId?: string | null;
    change: BulkChange;
  }): Promise<BulkJob>;
  bulkJob(args: { id: string }): Promise<BulkJob | null>;
}

/** The bulk operations for an agent's token, on this origin's /graphql. */
export function bulkApi(token: string, url = new URL('/graphql', window.location.origin).toString()): BulkApi {
  async function send<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (cause) {
      throw new NetworkError(`Could not reach ${url}`, { cause });
    }
    const body = (await response.json().catch(() => null)) as {
      data?: T | null;
      errors?: GraphQLErrorPayload[];
    } | null;
    if (body?.errors?.length) throw errorFromResponse(body.errors);
    if (!body?.data) throw new NetworkError(`Unexpected answer from ${url} (HTTP ${response.status})`);
    return body.data;
  }
  return {
    async startBulkChange(args) {
      return (await send<{ startBulkChange: BulkJob }>(START_BULK_CHANGE, args)).startBulkChange;
    },
    async bulkJob(args) {
      return (await send<{ bulkJob: BulkJob | null }>(BULK_JOB, args)).bulkJob;
    },
  };
}
