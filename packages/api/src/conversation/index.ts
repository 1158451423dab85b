// Customers answer (tracking page and email), as one piece for the
// composition root (compose.ts): the customer keys createTicket issues,
// the service, its resolvers, models and erasers, and its background work
// (email out; email in).
import type { Db } from 'mongodb';
import type { Capability } from '../capability';
import { conversationModels } from './models';
import type { FeedService } from '../feed/feed.service';
import type { Logger } from '../logging/logger';
import type { TicketService } from '../tickets/ticket.service';
import type { TicketStore } from '../tickets/ticket.store';
import { hashCustomerKey, newCustomerKey } from './customer-key';
import { ConversationEventResolver, ConversationResolver, EmailOutcomeResolver } from './conversation.resolver';
import { ConversationService } from './conversation.service';
import { sendsMail, type EmailConfig } from './email-config';
import { KeySeal } from './key-seal';
import type { AttachmentService } from '../attachments/attachment.service';
import { InboundMailModel, InboundOutcome } from './inbound-mail.model';
import { MailIn } from './mail-in';
import { MailOut } from './mail-out';
import { addThreadRoots } from './threading';
import { fromDomain } from './email-config';

export { ConversationService } from './conversation.service';
export { conversationModels };
export { mailEraser } from './mail-eraser';
export { mailRecordsOf, type MailRecords } from './mail-records';

/** Its resolvers, for the schema (capabilities.ts). */
export const conversationResolvers = [ConversationResolver, ConversationEventResolver, EmailOutcomeResolver] as const;

export const conversationCapability: Capability = {
  name: 'conversation',
  models: conversationModels,
  resolvers: conversationResolvers,
};

export interface ConversationOptions {
  config: EmailConfig;
  log: Logger;
  feed: FeedService;
  db: Db;
  /** The tickets' and events' reads and writes (ticket.store.ts). */
  store: TicketStore;
}

export interface Conversation {
  /** What TicketService asks at each creation: a new key and what is stored for it (its hash; sealed while the confirmation is pending). */
  customerKeys: { issue(): { key: string; stored: Record<string, string> } };
  /** The service, once the tickets' rules are known. */
  connect(tickets: TicketService, attachments?: AttachmentService): ConversationService;
  start(): void;
  stop(): Promise<void>;
}

export async function createConversation({ config, log, feed, db, store }: ConversationOptions): Promise<Conversation> {
  const mails = sendsMail(config);
  const seal = mails ? await KeySeal.load(db, config.sealSecret) : null;
  // Email out starts where the feed is now: a deployment that turns it on does not mail the past.
  const inbox: MailIn[] = [];
  // A ticket opened by email: the customer's own message is the root of our replies' thread.
  addThreadRoots(async (ticketId) =>
    (
      await InboundMailModel.collection
        .find<{ messageId: string }>({ ticketId, outcome: InboundOutcome.OPENED })
        .toArray()
    ).map((m) => m.messageId),
  );
  const out = mails && seal ? new MailOut(feed, store, config, seal, log, await feed.latestPosition()) : null;
  return {
    customerKeys: {
      issue() {
        const key = newCustomerKey();
        return {
          key,
          stored: { customerKeyHash: hashCustomerKey(key), ...(seal && { customerKeySealed: seal.seal(key) }) },
        };
      },
    },
    connect(tickets, attachments) {
      const service = new ConversationService(tickets, store, attachments);
      if (config.imapUrl) {
        const imapUrl = config.imapUrl;
        const deps = {
          tickets,
          store,
          conversation: service,
          attachments,
          log,
          ownAddress: config.from ? /([^<\s]+@[^>\s]+)/.exec(config.from)?.[1].toLowerCase() : undefined,
          ownDomain: config.from ? fromDomain(config.from) : undefined,
        };
        inbox.push(...config.mailboxes.map((mailbox) => new MailIn({ ...config, imapUrl }, mailbox, deps)));
      }
      return service;
    },
    start() {
      out?.start();
      for (const m of inbox) m.start();
    },
    async stop() {
      await Promise.all([out?.stop(), ...inbox.map((m) => m.stop())]);
    },
  };
}
