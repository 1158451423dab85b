import type { Logger } from '../logging/logger';
import type { TicketService } from '../tickets/ticket.service';

/** Per-request context handed to resolvers. */
export interface Context {
  requestId: string;
  log: Logger;
  /** True when the request carried a valid agent bearer token. */
  agent: boolean;
  /** Client address (X-Forwarded-For only when TRUST_PROXY says so). */
  ip: string;
  tickets: TicketService;
}
