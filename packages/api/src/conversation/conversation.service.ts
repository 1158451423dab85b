// The customer's side of a ticket: reading it with its key (or its email),
// and replying. The ticket's own rules (numbers, events, compare-and-set)
// stay in TicketService; what a reply does is planned in customer-reply.ts.
import mongoose from 'mongoose';
import { badUserInput, notFound } from '../errors/api-errors';
import type { AttachmentRef } from '../attachments/attachment.model';
import { TimelineEventKind } from '../tickets/ticket.enums';
import { checkText, checkTicketNumber, LIMITS, validAll } from '../tickets/ticket.validation';
import { publicTicket, type StoredTicket, type TicketView } from '../tickets/ticket.mappers';
import type { TicketService } from '../tickets/ticket.service';
import type { TicketStore } from '../tickets/ticket.store';
import { customerKeyMatches } from './customer-key';
import { MessageChannel, planCustomerReply } from './customer-reply';

/** What a reply needs of attachments: the same claims as the ticket rules (attachments/). */
export interface ReplyAttachments {
  claim(
    ids: readonly string[] | null | undefined,
    eventId: mongoose.Types.ObjectId,
    byToken: boolean,
  ): Promise<AttachmentRef[]>;
  release(eventId: mongoose.Types.ObjectId, onlyIds?: readonly string[]): Promise<void>;
}

/** The actor stored on a customer's events (shown to agents only). */
export const CUSTOMER_ACTOR = 'customer';

type Keyed = StoredTicket & { erasedAt?: Date };

/** The ticket this key opens: null for an unknown number, a wrong key and an erased ticket alike. */
const opens = (ticket: Keyed | null, key: string): Keyed | null =>
  ticket && !ticket.erasedAt && customerKeyMatches(ticket.customerKeyHash, key) ? ticket : null;

export interface CustomerMessage {
  message: string;
  attachmentIds?: readonly string[] | null;
  channel: MessageChannel;
  /** Checked elsewhere (email in: attachments already stored): the refs to put on the event as they are. */
  attachments?: AttachmentRef[];
  /**
   * The event's id when the message has one of its own (email in: derived from its Message-ID), so
   * that two processes adding the same message write one event: the second insert is a duplicate.
   */
  eventId?: mongoose.Types.ObjectId;
  /**
   * Asked just before the ticket is written (email in: the reader's claim on the message is still
   * its own). False, or the event written already: nothing is changed.
   */
  stillOurs?: () => Promise<boolean>;
}

export class ConversationService {
  constructor(
    private readonly tickets: TicketService,
    private readonly store: TicketStore,
    private readonly attachments?: ReplyAttachments,
  ) {}

  /** trackTicket: exactly one of email and key; null for any miss. */
  async track(
    ticketNumber: string,
    email: string | null | undefined,
    key: string | null | undefined,
  ): Promise<TicketView | null> {
    const hasEmail = email !== null && email !== undefined;
    const hasKey = key !== null && key !== undefined;
    if (hasEmail === hasKey)
      throw badUserInput([{ field: hasEmail ? 'key' : 'email', message: 'give exactly one of email and key' }]);
    if (hasEmail) return this.tickets.track(ticketNumber, email as string);
    const ticket = opens((await this.tickets.byNumberOrNull(ticketNumber)) as Keyed | null, key as string);
    if (!ticket) return null;
    return publicTicket({
      ...ticket,
      id: String(ticket._id),
      timeline: await this.tickets.timeline(ticket._id, false),
    });
  }

  /** replyAsCustomer: NOT_FOUND for an unknown number and a wrong key alike. */
  async reply(
    ticketNumber: string,
    key: string,
    message: string,
    attachmentIds?: readonly string[] | null,
  ): Promise<TicketView> {
    const input = validAll({
      number: checkTicketNumber(ticketNumber),
      message: checkText('message', message, LIMITS.message),
    });
    const ticket = opens((await this.tickets.byNumberOrNull(input.number)) as Keyed | null, key);
    if (!ticket) throw notFound(input.number);
    return publicTicket(
      await this.add(ticket, { message: input.message, attachmentIds, channel: MessageChannel.WEB }, false),
    );
  }

  /**
   * Add a customer's message to a ticket already found (by key, or by an
   * email's threading): a CUSTOMER_REPLY with its uploads, the status moved
   * back to OPEN where it waited. `byToken`: uploads of anyone may be named.
   */
  async add(
    ticket: Pick<StoredTicket, '_id' | 'ticketNumber' | 'customerKeyHash'>,
    msg: CustomerMessage,
    byToken: boolean,
  ): Promise<TicketView> {
    const _id = msg.eventId ?? new mongoose.Types.ObjectId();
    let attachments = msg.attachments;
    if (!attachments && msg.attachmentIds?.length) {
      if (!this.attachments) throw badUserInput([{ field: 'attachmentIds', message: 'attachments are not enabled' }]);
      attachments = await this.attachments.claim(msg.attachmentIds, _id, byToken);
    }
    const event = {
      _id,
      kind: TimelineEventKind.CUSTOMER_REPLY,
      message: msg.message,
      channel: msg.channel,
      ...(attachments?.length && { attachments }),
    };
    // A message with an id of its own (email in) is written once: whoever finds its event written, or lost its claim, changes nothing.
    let declined = false;
    const stillWanted = msg.eventId
      ? async () => {
          declined = Boolean(await this.store.eventById(_id)) || (msg.stillOurs ? !(await msg.stillOurs()) : false);
          return !declined;
        }
      : undefined;
    // Once the event is sent its uploads stay taken, even if the insert fails: it may have been applied
    // (tickets/ticket-changes.ts, withUploads).
    let sent = false;
    try {
      const view = await this.tickets.changeTicket(
        ticket.ticketNumber,
        CUSTOMER_ACTOR,
        (from, now, current) => {
          // Re-read at every attempt: an erasure in between makes the reply a miss.
          if ((current as Keyed).erasedAt || current.customerKeyHash !== ticket.customerKeyHash)
            throw notFound(ticket.ticketNumber);
          return planCustomerReply(from, now, event);
        },
        {
          stillWanted,
          sending: () => {
            sent = true;
          },
        },
      );
      if (declined && attachments?.length && !msg.attachments)
        await this.attachments?.release(_id, msg.attachmentIds ?? []);
      return view;
    } catch (err) {
      if (!sent && attachments?.length && !msg.attachments)
        await this.attachments?.release(_id, msg.eventId ? (msg.attachmentIds ?? []) : undefined);
      throw err;
    }
  }
}
