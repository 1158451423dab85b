// The composition root: builds every capability's running part from the
// configuration and wires them together (who tells whom about new events,
// whose erasers erasure runs, which metrics count what). The HTTP layer
// (http/app.ts) gets the result and only serves it; the CLIs and the tests
// build what they need through here too.
import type { IncomingMessage } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { attachmentEraser, createAttachments, GridFsStore, requestTimeoutMs } from './attachments';
import { createBulk } from './bulk';
import type { Running } from './capability';
import type { Config } from './config/config';
import { createConversation, mailEraser } from './conversation';
import { builtInErasers, CustomerService, RetentionSweep, type Eraser } from './customers';
import { database, mongoClient } from './db/database';
import { probeTransactions, transactionsWork } from './db/transactions';
import { respellStoredEmails } from './doctor/email-spelling';
import { adoptLegacyEvents, FeedSequencer, FeedService } from './feed';
import type { Context } from './graphql/context';
import { rateLimitEraser, type LookupKey } from './http/rate-limit';
import { ListingService } from './listing';
import { RepliesService } from './replies';
import { FeedHub } from './live';
import type { Logger } from './logging/logger';
import { ticketSchema } from './schema';
import { createSearch, searchEraser } from './search';
import { createSla } from './sla';
import { Metrics, rootFieldsOf } from './telemetry/metrics';
import { createTimelineLoader, TicketService, TicketStore } from './tickets';
import { ticketLookupKey } from './tickets/ticket-number';
import { bearer, secretDigest, secretMatches } from './tokens/token-secret';
import { TokenService } from './tokens';
import { ViewsService } from './views';
import type { Principal } from './tokens/scopes';
import { WebhookDispatcher, WebhookService } from './webhooks';

/** The services every operation's context carries (graphql/context.ts). */
export type Services = Omit<Context, 'requestId' | 'log' | 'principal' | 'ip' | 'origin' | 'lookups'>;

/** What the HTTP layer lends the capabilities that answer HTTP themselves (set once by http/app.ts). */
export interface RequestTools {
  /** The caller of a bearer token; a bad one is charged to its address. */
  principalOf(authorization: string | undefined, ip: string): Promise<Principal | null>;
  ipOf(req: IncomingMessage): string;
  /** Refuses (RATE_LIMITED) an address whose invalid-request budget is spent. */
  refuseIfSpent(ip: string): Promise<void>;
}

export interface Platform {
  schema: GraphQLSchema;
  /** How long one HTTP request may take at most (an upload's PUT has the longest deadline). */
  requestTimeoutMs: number;
  /** The services of one operation's context (a request's own loaders included). */
  servicesFor(): Services;
  tokens: TokenService;
  live: FeedHub;
  metrics: Metrics | null;
  /** GET /metrics: METRICS_TOKEN, when set, compared in constant time; in production without it, nobody. */
  metricsAllowed(authorization: string | undefined): boolean;
  /** The key the budgets count a public lookup of a ticket number under (tickets' rule). */
  lookupKey: LookupKey;
  /** Every capability's running part: HTTP routes, start and stop. */
  running: readonly Running[];
  /** Called once by the HTTP layer before it serves. */
  lendRequestTools(tools: RequestTools): void;
  /** Starts the background work (feed, webhooks, sweeps, live hub). */
  start(): Promise<void>;
  /** Stops it, after the HTTP layer stopped serving. */
  stop(): Promise<void>;
}

/**
 * Every capability's erasers: the API and the CLI erase the same things.
 * The shared rate-limit store's records are erased whatever this process's
 * RATE_LIMIT_STORE says: the CLI, or a process configured otherwise, must
 * remove what the API's processes keep there (nothing there: it removes nothing).
 */
export function erasers(
  config: Pick<Config, 'rateLimitStore'> & Partial<Pick<Config, 'email'>>,
  db = database(),
  tickets = new TicketStore(),
): readonly Eraser[] {
  return [
    ...builtInErasers(tickets),
    attachmentEraser(new GridFsStore(db), tickets),
    // Mail: the IMAP mailboxes too, when email in is configured here (the CLI reads the same settings).
    mailEraser(tickets, config.email),
    searchEraser(tickets),
    rateLimitEraser((ids) => tickets.numbers({ _id: { $in: [...ids] } }, ids.length), ticketLookupKey),
  ];
}

/** Whether this engine really has transactions (db/transactions.ts), said once in the log. */
async function useTransactions(log: Logger): Promise<boolean> {
  const probe = await probeTransactions(mongoClient(), database());
  const works = transactionsWork(probe);
  if (works) log.info('transactions: a ticket and its CREATED event are written in one transaction');
  else log.info({ probe }, 'transactions: not available on this engine; a ticket whose event fails is removed again');
  return works;
}

export async function compose(config: Config, log: Logger): Promise<Platform> {
  const schema = ticketSchema();
  let tools: RequestTools | null = null;
  const lent = (): RequestTools => {
    if (!tools) throw new Error('the HTTP layer has not lent its request tools yet');
    return tools;
  };

  const feed = new FeedService();
  const sequencer = new FeedSequencer(log, undefined, config.feedGapMs, () => feed.claimed());
  const live = new FeedHub(feed, log, { queueLimit: config.subscriptionQueueLimit });
  const metrics = config.metrics ? new Metrics(rootFieldsOf(schema), () => live.openCount, live) : null;
  const transactions = config.transactions === 'auto' && (await useTransactions(log));
  const tokens = new TokenService(config.agentTokens, log);
  const attachments = await createAttachments({
    config: config.attachments,
    log,
    registry: metrics?.registry,
    principalOf: (authorization, ip) => lent().principalOf(authorization, ip),
    ipOf: (req) => lent().ipOf(req),
    refuseIfSpent: (ip) => lent().refuseIfSpent(ip),
  });
  const store = new TicketStore(log, { prefix: config.ticketPrefix, pad: config.ticketPad });
  const conversation = await createConversation({ config: config.email, log, feed, db: database(), store });
  const search = createSearch(log, store, { indexing: config.searchIndexing });
  const tickets = new TicketService(
    log,
    {
      onEvents: () => sequencer.nudge(),
      onCreated: () => metrics?.ticketsCreated.inc(),
      onCollision: () => metrics?.collisions.inc(),
      wordsOf: search.wordsOf,
    },
    {
      store,
      transactions,
      chatSigningSecret: config.chatSigningSecret,
      attachments: attachments.service,
      customerKeys: conversation.customerKeys,
    },
  );
  const customerSide = conversation.connect(tickets, attachments.service);
  const listing = new ListingService(store);
  const views = new ViewsService(search.service, listing);
  const bulk = createBulk(tickets, { views, search: search.service, store }, log);
  const replies = new RepliesService();
  const webhooks = new WebhookService(feed, config.webhookAllowPrivate);
  const dispatcher = new WebhookDispatcher(feed, {
    retryDelays: config.webhookRetryDelays,
    allowPrivate: config.webhookAllowPrivate,
    leaseMs: config.webhookLeaseMs,
    maxSenders: config.webhookMaxSenders,
    log,
    onOutcome: (outcome) => metrics?.delivery(outcome),
  });
  const customers = new CustomerService(
    log,
    store,
    erasers(config, database(), store),
    {
      onEvents: () => sequencer.nudge(),
      onErased: (reason, n) => metrics?.ticketsErased.inc({ reason }, n),
      ...(metrics && { onTally: (reason: string, n: number) => metrics.ticketsErased.inc({ reason }, n) }),
    },
    { key: config.customers.auditKey, retentionDays: config.customers.auditRetentionDays },
  );
  if (config.production && !config.customers.auditKey)
    log.warn(
      "AUDIT_KEY is not set: the audit trail's key is kept in the database it protects (docs/customers-data.md)",
    );
  const retention = new RetentionSweep(
    customers.erasure,
    store,
    { retentionDays: config.retentionDays, intervalMs: config.retentionSweepSeconds * 1000 },
    log,
  );
  const sla = createSla({
    feed,
    store,
    log,
    registry: metrics?.registry,
    onEvents: () => sequencer.nudge(),
    checkSeconds: config.slaCheckSeconds,
  });

  // Metrics tell an attacker too much: without METRICS_TOKEN, production shows them to nobody.
  const metricsDigest = config.metricsToken ? secretDigest(config.metricsToken) : null;
  const metricsAllowed = (authorization: string | undefined): boolean =>
    metricsDigest ? secretMatches(bearer(authorization) ?? '', metricsDigest) : !config.production;

  const running: Running[] = [
    { start: () => sequencer.start(), stop: () => sequencer.stop() },
    { start: () => dispatcher.start(), stop: () => dispatcher.stop() },
    { start: () => retention.start(), stop: () => retention.stop() },
    { route: attachments.route, start: () => attachments.start(), stop: () => attachments.stop() },
    { start: () => conversation.start(), stop: () => conversation.stop() },
    { start: () => sla.start(), stop: () => sla.stop() },
    { start: () => search.start(), stop: () => search.stop() },
    { start: () => bulk.start(), stop: () => bulk.stop() },
  ];

  return {
    schema,
    requestTimeoutMs: requestTimeoutMs(config.attachments),
    servicesFor: () => ({
      tickets,
      timelines: createTimelineLoader(tickets),
      listing,
      feed,
      webhooks,
      customers,
      live,
      attachments: attachments.service,
      conversation: customerSide,
      replies,
      bulk: bulk.service,
      sla: sla.service,
      search: search.service,
      views,
    }),
    tokens,
    live,
    metrics,
    metricsAllowed,
    lookupKey: ticketLookupKey,
    running,
    lendRequestTools(given) {
      tools = given;
    },
    async start() {
      await respellStoredEmails(store, log);
      const adopted = await adoptLegacyEvents();
      if (adopted) log.info({ events: adopted }, 'change feed: existing timeline events queued for the feed');
      void tickets.sequenceLegacyTickets().then(
        (n) => n && log.info({ tickets: n }, 'tickets: events of older tickets numbered (sequence)'),
        (err) =>
          log.warn(
            { err: { name: (err as Error).name, message: (err as Error).message } },
            'tickets: numbering older tickets failed; each is numbered when next changed',
          ),
      );
      for (const r of running) await r.start?.();
      await live.start();
    },
    async stop() {
      live.stop();
      await Promise.all(running.map((r) => r.stop?.()));
      metrics?.stop();
    },
  };
}
