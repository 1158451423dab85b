// Serve the real API in-process on a free port, on a database of its own,
// and talk to it over HTTP like any client.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mongoose from 'mongoose';
import { loadConfig, type Config } from '../../src/config/config';
import { connectDatabase } from '../../src/db/connection';
import { prepareNumbering } from '../../src/doctor/startup-guard';
import { compose } from '../../src/compose';
import { createApi } from '../../src/http/app';
import { DEFAULT_MANIFEST } from '../../src/http/trusted-documents.config';
import { createLogger, type Logger } from '../../src/logging/logger';
import { MODELS } from '../../src/capabilities';

export const AGENT_TOKEN = 'test-agent-token-0123456789abcdef-0123';
export const agent = { authorization: `Bearer ${AGENT_TOKEN}` };
/** Every test server's METRICS_TOKEN: in production, /metrics answers nobody without one. */
export const METRICS_TOKEN = 'test-metrics-token-0123456789abcdef-0123';
export const metricsAuth = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } };
/** The chat backend's key (CHAT_SIGNING_SECRET) in every test server. */
export const CHAT_SECRET = 'test-chat-signing-secret-0123456789abcdef';
/** A chatId with its chatSignature, as a chat backend hands them to the customer's page. */
export const signedChat = (chatId: string, secret = CHAT_SECRET) => ({
  chatId,
  chatSignature: createHmac('sha256', secret).update(chatId).digest('hex'),
});

export interface GqlResult<T = Record<string, any>> {
  status: number;
  body: {
    data?: T | null;
    errors?: { message: string; extensions: Record<string, any>; path?: string[] }[];
    extensions?: Record<string, any>;
  };
  headers: Headers;
}

export interface TestApi {
  url: string;
  base: string;
  config: Config;
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GqlResult<T>>;
  /** Empty every collection (tests isolate by database; engines may not support drop). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Every collection the API writes, for tests that start from empty (engines may not support drop). */
export const COLLECTIONS = [
  'tickets',
  'counters',
  'ticket_events',
  'api_tokens',
  'feed_batches',
  'webhooks',
  'webhook_deliveries',
  'customer_audit',
  'audit_keys',
  'sweep_leases',
] as const;

let open = 0;

export function engineUri(): string {
  const uri = process.env.TEST_MONGODB_URI;
  if (!uri) throw new Error('TEST_MONGODB_URI is not set: run through jest (global setup starts the engine)');
  return uri;
}

/** The engine's URI pointed at a database of this test file's own. */
export function databaseUri(name: string): string {
  return engineUri().replace(/\/[^/?]*(\?|$)/, `/${name}_${process.pid}$1`);
}

/**
 * A test file's first connection. The engine is shared by the whole run,
 * and another file's bulk writes can keep it from answering for a few
 * seconds: try again, as the server itself does at start (cli/serve.ts).
 */
async function connectForTests(uri: string, timeoutMs: number, dbName: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await connectDatabase(uri, timeoutMs, dbName);
      return;
    } catch (err) {
      if (attempt >= 3 || (err as Error).name !== 'MongooseServerSelectionError') throw err;
      await mongoose.disconnect().catch(() => undefined);
    }
  }
}

export async function startTestApi(
  dbName: string,
  env: Record<string, string> = {},
  uri = engineUri(),
  log?: Logger,
): Promise<TestApi> {
  const config = loadConfig({
    NODE_ENV: 'production',
    RATE_LIMIT: 'off',
    AGENT_TOKENS: AGENT_TOKEN,
    METRICS_TOKEN,
    CHAT_SIGNING_SECRET: CHAT_SECRET,
    // The one engine every file shares stalls for seconds when two heavy files coincide (a 10 MiB upload beside
    // three processes starting): servers wait that out. Tests of the timeout itself set their own.
    DB_TIMEOUT_MS: '10000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  log ??= createLogger(config.logLevel);
  // Mongoose has one default connection per test file: the first API opens it, the last closes it.
  if (open++ === 0) await connectForTests(uri, config.dbTimeoutMs, `${dbName}_${process.pid}`);
  await prepareNumbering(MODELS, log);
  const api = await createApi(config, log, await compose(config, log));
  const url = await api.listen(0, '127.0.0.1');
  return {
    url,
    base: url.replace(/\/graphql$/, ''),
    config,
    gql: (query, variables = {}, headers = {}) => gql(url, query, variables, headers),
    reset: async () => {
      const db = mongoose.connection.db!;
      for (const name of COLLECTIONS) await db.collection(name).deleteMany({});
    },
    stop: async () => {
      await api.stop();
      if (--open === 0) await mongoose.disconnect();
    },
  };
}

export async function gql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GqlResult<T>> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await r.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`not JSON (HTTP ${r.status}): ${text.slice(0, 200)}`);
  }
  return { status: r.status, body, headers: r.headers };
}

export const TICKET_FIELDS = `id ticketNumber subject description status priority source customerEmail customerName chatId
  createdAt updatedAt firstResponseAt resolvedAt closedAt resolutionNotes timeline { id kind at message }`;
export const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ${TICKET_FIELDS} } }`;
export const TRACK = `query($n: String!, $e: String!) { trackTicket(ticketNumber: $n, email: $e) { ${TICKET_FIELDS} } }`;
export const TIMELINE = `query($n: String!, $e: String!) { ticketTimeline(ticketNumber: $n, email: $e) { id kind at message } }`;
export const RESPOND = `mutation($n: String!, $m: String!) { respondToTicket(ticketNumber: $n, message: $m) { ${TICKET_FIELDS} } }`;
export const STATUS = `mutation($n: String!, $s: TicketStatus!, $note: String) { updateTicketStatus(ticketNumber: $n, status: $s, note: $note) { ${TICKET_FIELDS} } }`;
export const RESOLVE = `mutation($n: String!, $r: String!) { resolveTicket(ticketNumber: $n, resolutionNotes: $r) { ${TICKET_FIELDS} } }`;

let seq = 0;
export function ticketInput(over: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    customerEmail: `customer${seq}@example.com`,
    customerName: 'Ada Lovelace',
    subject: `Printer on floor 3 is jammed #${seq}`,
    description: 'It shows error E-42 and will not print anything since this morning.',
    ...over,
  };
}

export const codeOf = (r: GqlResult) => r.body.errors?.[0]?.extensions?.code;

/** An answer without its extensions.cost (the caller's own budget, http/cost.ts), to compare what two callers were told. */
export function withoutCost<B extends object>(body: B): B {
  const { extensions: all, ...rest } = body as { extensions?: Record<string, unknown> };
  if (!all) return body;
  const { cost: _cost, ...extensions } = all;
  return (Object.keys(extensions).length ? { ...rest, extensions } : rest) as B;
}

let trustedTexts: Record<string, string> | undefined;
/** A request body as JSON text, with a documentId's text put in `query` (the SDK sends ids: http/trusted-documents.ts), to look into what a client sent. */
export function withDocumentText(postData: string): string {
  const body = JSON.parse(postData || '{}');
  if (typeof body.documentId !== 'string') return postData;
  trustedTexts ??= JSON.parse(readFileSync(DEFAULT_MANIFEST, 'utf8')).documents as Record<string, string>;
  return JSON.stringify({ ...body, query: trustedTexts[body.documentId] });
}
