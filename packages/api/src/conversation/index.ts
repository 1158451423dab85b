// Customers answer (tracking page and email), as one piece for the
// composition root (http/app.ts): the customer keys createTicket issues,
// the service, its resolvers, models and erasers, and its background work.
import type { Logger } from '../logging/logger';
import type { TicketService } from '../tickets/ticket.service';
import { hashCustomerKey, newCustomerKey } from './customer-key';
import { ConversationEventResolver, ConversationResolver } from './conversation.resolver';
import { ConversationService, type ReplyAttachments } from './conversation.service';

export { ConversationService } from './conversation.service';

/** The resolvers http/schema.ts registers. */
export const conversationResolvers = [ConversationResolver, ConversationEventResolver] as const;

/** What TicketService asks at each creation: a new key, and what is stored for it (never the key itself). */
export function customerKeys() {
  return {
    issue() {
      const key = newCustomerKey();
      return { key, stored: { customerKeyHash: hashCustomerKey(key) } };
    },
  };
}

export interface ConversationOptions {
  tickets: TicketService;
  attachments?: ReplyAttachments;
  log: Logger;
}

export interface Conversation {
  service: ConversationService;
  start(): void;
  stop(): Promise<void>;
}

export function createConversation({ tickets, attachments }: ConversationOptions): Conversation {
  const service = new ConversationService(tickets, attachments);
  return {
    service,
    start() {},
    async stop() {},
  };
}
