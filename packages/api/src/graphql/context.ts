// What every resolver gets with a request. Only types live here: the HTTP
// layer builds it (http/app.ts), the domain folders read it.
import type { BulkService } from '../bulk/bulk.service';
import type { ConversationService } from '../conversation';
import type { CustomerService } from '../customers/customer.service';
import type { CostMeter } from '../http/cost';
import type { AttachmentService } from '../attachments/attachment.service';
import type { FeedService } from '../feed/feed.service';
import type { ListingService } from '../listing/listing.service';
import type { FeedHub } from '../live/feed-hub';
import type { RequestLog } from '../logging/logger';
import type { RepliesService } from '../replies/reply.service';
import type { SlaService } from '../sla/sla.service';
import type { TicketService } from '../tickets/ticket.service';
import type { TimelineLoader } from '../tickets/timeline-loader';
import type { Principal } from '../tokens/scopes';

/** Who calls (tokens/), as the HTTP layer and the resolvers see it. */
export type { Principal };
import type { WebhookService } from '../webhooks/webhook.service';

/** The failed-lookup points an operation was charged (http/rate-limit.ts): a lookup that finds its ticket gives its point back. */
export interface LookupCharge {
  /** The number's failed-lookup budget is spent and this caller never found it: answer as a miss, run nothing. */
  suppressed(ticketNumber: string): boolean;
  /** Give back the failed-lookup point of a lookup that found its ticket, or that failed without comparing the email. */
  refund(ticketNumber: string, found: boolean): void;
}

/**
 * Per-request context handed to resolvers. A capability adds the service
 * its resolvers use from its own index.ts (`declare module
 * '../graphql/context'`, as search/ and views/ do); compose.ts must then
 * hand it (servicesFor), or the build fails.
 */
export interface Context {
  requestId: string;
  log: RequestLog;
  /** The caller's token, or null for public callers. */
  principal: Principal | null;
  /** Client address (X-Forwarded-For only when TRUST_PROXY says so). */
  ip: string;
  tickets: TicketService;
  /** Timelines of this request's tickets, read in one query per page (one loader per request). */
  timelines: TimelineLoader;
  listing: ListingService;
  feed: FeedService;
  webhooks: WebhookService;
  /** Customers' data: export, erasure, audit. */
  customers: CustomerService;
  /** This process's live view of the feed, for subscriptions. */
  live: FeedHub;
  attachments: AttachmentService;
  /** Saved replies (replies/). */
  replies: RepliesService;
  /** The customer's side: tracking by key, replies (conversation/). */
  conversation: ConversationService;
  /** Bulk changes (bulk/): start one, follow its progress. */
  bulk: BulkService;
  /** Service levels (sla/): policies, each ticket's deadlines. */
  sla: SlaService;
  /** The origin (scheme://host) the caller reached us at (HTTP request or WebSocket upgrade), for links; PUBLIC_URL overrides. */
  origin?: string;
  /** Set once the operation is charged, when rate limits are on. */
  lookups?: LookupCharge;
  /** What this request charged to the budgets, when rate limits are on (http/cost.ts). */
  cost?: CostMeter;
}
