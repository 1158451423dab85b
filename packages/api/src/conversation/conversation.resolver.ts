// Thin: the customer's reply, and the fields this capability adds to
// tickets and events (the key, once; whether a reply waits; each message's channel).
import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root, registerEnumType } from 'type-graphql';
import { canSeeActors } from '../graphql/auth-checker';
import type { Context } from '../graphql/context';
import { Ticket } from '../tickets/ticket.model';
import type { TicketView, TimelineEventView } from '../tickets/ticket.mappers';
import { TimelineEvent } from '../tickets/timeline-event.model';
import { MessageChannel } from './customer-reply';
import { templateFor } from './mail-out';
import { OutboundMail, OutboundMailModel } from './outbound-mail.model';

registerEnumType(MessageChannel, {
  name: 'MessageChannel',
  description: "How a customer's message reached the ticket.",
  valuesConfig: {
    WEB: { description: 'The tracking page (or any client calling replyAsCustomer).' },
    EMAIL: { description: 'An email to the support mailbox.' },
  },
});

@Resolver(() => Ticket)
export class ConversationResolver {
  @Mutation(() => Ticket, {
    description:
      "Public. The customer answers on their ticket with the key createTicket gave (and the emailed link carries): adds a PUBLIC CUSTOMER_REPLY; WAITING_ON_CUSTOMER and RESOLVED tickets move back to OPEN (RESOLVED adds REOPENED); a CLOSED ticket refuses (BAD_USER_INPUT on ticketNumber). An unknown number and a wrong key are both NOT_FOUND, and spend the number's failed-lookup budget. Counts against the same budget as createTicket.",
  })
  replyAsCustomer(
    @Arg('ticketNumber', { description: 'Ticket number, e.g. "TKT-00042" (case-insensitive, trimmed).' })
    ticketNumber: string,
    @Arg('key', { description: "The ticket's customerKey." }) key: string,
    @Arg('message', { description: 'The reply (1-20 000 characters).' }) message: string,
    @Arg('attachmentIds', () => [ID], {
      nullable: true,
      description:
        'Uploads (createUpload, without a token) to attach to the reply, at most 5; each can be referenced once.',
    })
    attachmentIds: string[] | null | undefined,
    @Ctx() ctx: Context,
  ) {
    return ctx.conversation.reply(ticketNumber, key, message, attachmentIds);
  }

  @FieldResolver(() => String, {
    nullable: true,
    description:
      "The customer's secret key to this ticket (trackTicket, replyAsCustomer, the emailed link): only in createTicket's answer; null on every other read. Keep it: it cannot be shown again.",
  })
  customerKey(@Root() ticket: TicketView): string | null {
    return ticket.customerKey ?? null;
  }

  @FieldResolver(() => Boolean, {
    nullable: true,
    description: 'tickets:read. The customer replied and no agent has answered since (null for public callers).',
  })
  awaitingAgent(@Root() ticket: TicketView, @Ctx() ctx: Context): boolean | null {
    return canSeeActors(ctx) ? ticket.awaitingAgent === true : null;
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description: 'When the customer last replied (tracking page or email); null if never.',
  })
  lastCustomerReplyAt(@Root() ticket: TicketView): Date | null {
    return ticket.lastCustomerReplyAt ?? null;
  }
}

@Resolver(() => TimelineEvent)
export class ConversationEventResolver {
  @FieldResolver(() => MessageChannel, {
    nullable: true,
    description:
      "For a CUSTOMER_REPLY: how it reached us (the CREATED event's channel is the ticket's source); null for other events.",
  })
  channel(@Root() event: TimelineEventView & { channel?: MessageChannel }): MessageChannel | null {
    return event.channel ?? null;
  }
}

@Resolver(() => TimelineEvent)
export class EmailOutcomeResolver {
  @FieldResolver(() => OutboundMail, {
    nullable: true,
    description:
      'tickets:read. The email this event sent the customer (CREATED, answers, RESOLVED, when email out is on): its Message-ID and outcome; null otherwise, and for public callers.',
  })
  async email(@Root() event: TimelineEventView, @Ctx() ctx: Context): Promise<OutboundMail | null> {
    // Agents, and customers:read for an export (what was sent is part of what is held).
    if (!(canSeeActors(ctx) || ctx.principal?.scopes.has('customers:read')) || !templateFor(event)) return null;
    return OutboundMailModel.collection.findOne<OutboundMail>({ _id: event._id });
  }
}
