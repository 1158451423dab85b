// Customers answer (tracking page and email), as one piece for the
// composition root (http/app.ts): the customer keys createTicket issues,
// the service, its resolvers, models and erasers, and its background work
// (email out; email in).
import type { Db } from 'mongodb';
import type { FeedService } from '../feed/feed.service';
import type { Logger } from '../logging/logger';
import type { TicketService } from '../tickets/ticket.service';
import { hashCustomerKey, newCustomerKey } from './customer-key';
import { ConversationEventResolver, ConversationResolver, EmailOutcomeResolver } from './conversation.resolver';
import { ConversationService, type ReplyAttachments } from './conversation.service';
import { sendsMail, type EmailConfig } from './email-config';
import { KeySeal } from './key-seal';
import { MailOut } from './mail-out';

export { ConversationService } from './conversation.service';
export { conversationModels } from './models';
export { mailEraser } from './mail-eraser';

/** The resolvers http/schema.ts registers. */
export const conversationResolvers = [ConversationResolver, ConversationEventResolver, EmailOutcomeResolver] as const;

export interface ConversationOptions {
  config: EmailConfig;
  log: Logger;
  feed: FeedService;
  db: Db;
}

export interface Conversation {
  /** What TicketService asks at each creation: a new key and what is stored for it (its hash; sealed while the confirmation is pending). */
  customerKeys: { issue(): { key: string; stored: Record<string, string> } };
  /** The service, once the tickets' rules are known. */
  connect(tickets: TicketService, attachments?: ReplyAttachments): ConversationService;
  start(): void;
  stop(): Promise<void>;
}

export async function createConversation({ config, log, feed, db }: ConversationOptions): Promise<Conversation> {
  const mails = sendsMail(config);
  const seal = mails ? await KeySeal.load(db, config.sealSecret) : null;
  // Email out starts where the feed is now: a deployment that turns it on does not mail the past.
  const out = mails && seal ? new MailOut(feed, config, seal, log, await feed.latestPosition()) : null;
  return {
    customerKeys: {
      issue() {
        const key = newCustomerKey();
        return { key, stored: { customerKeyHash: hashCustomerKey(key), ...(seal && { customerKeySealed: seal.seal(key) }) } };
      },
    },
    connect: (tickets, attachments) => new ConversationService(tickets, attachments),
    start() {
      out?.start();
    },
    async stop() {
      await out?.stop();
    },
  };
}
