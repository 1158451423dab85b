// Reading tickets: the public lookup by number and email (the same null for
// an unknown number and a wrong email), timelines, and the reads by number
// or global id that agents and integrators make.
import mongoose, { type Types } from 'mongoose';
import { chatSignatureMatches } from './chat-signature';
import type { TicketStore } from './ticket.store';
import {
  orderedTimeline,
  publicTicket,
  toTicket,
  type StoredEvent,
  type StoredTicket,
  type TicketView,
  type TimelineEventView,
} from './ticket.mappers';
import { checkEmail, checkTicketNumber, valid, validAll } from './ticket.validation';

export class TicketReads {
  constructor(
    private readonly store: TicketStore,
    /** CHAT_SIGNING_SECRET: the key of chat links' signatures. */
    private readonly chatSigningSecret?: string,
  ) {}

  /** Whether a chat link's signature is its chat id's (tickets/chat-link.resolver.ts). */
  chatLinkValid(chatId: string, chatSignature: string): boolean {
    return chatSignatureMatches(chatId.trim(), chatSignature, this.chatSigningSecret);
  }

  /**
   * null for an unknown number and for a wrong email alike. Two indexed
   * finds (unique ticketNumber, then events by ticket and time): the
   * shapes MongoDB plans once and serves from its plan cache.
   */
  async track(ticketNumber: string, email: string): Promise<TicketView | null> {
    const ticket = await this.findTracked<StoredTicket>(ticketNumber, email);
    if (!ticket) return null;
    // Public lookups never say who did what, nor show the agents' own business.
    return publicTicket({ ...toTicket(ticket), timeline: await this.timeline(ticket._id, false) });
  }

  async timelineFor(ticketNumber: string, email: string): Promise<TimelineEventView[] | null> {
    // Only the ticket's id is needed: nothing else is read or decoded.
    const ticket = await this.findTracked<Pick<StoredTicket, '_id'>>(ticketNumber, email, { _id: 1 });
    return ticket ? this.timeline(ticket._id, false) : null;
  }

  /** The ticket with this number and customer email (checked first), or null. */
  private findTracked<T extends object>(
    ticketNumber: string,
    email: string,
    projection?: Record<string, 1>,
  ): Promise<T | null> {
    const key = validAll({ number: checkTicketNumber(ticketNumber), email: checkEmail(email) });
    return this.store.tracked<T>(key.number, key.email, projection);
  }

  /** The events of a ticket, oldest first; `agent` for callers with tickets:read (actors and INTERNAL events). */
  async timeline(ticketId: Types.ObjectId, agent: boolean): Promise<TimelineEventView[]> {
    return orderedTimeline(await this.store.timeline(ticketId, agent), agent);
  }

  /**
   * The stored events of many tickets in one query, in the order of
   * `ticketIds` (a ticket may appear more than once; one without events gets
   * []). Unordered: orderedTimeline applies the one rule per reader.
   */
  async eventsOfTickets(ticketIds: readonly Types.ObjectId[]): Promise<StoredEvent[][]> {
    const unique = [...new Map(ticketIds.map((id) => [String(id), id])).values()];
    const docs = await this.store.eventsOf(unique);
    const byTicket = new Map<string, StoredEvent[]>();
    for (const doc of docs) {
      const key = String(doc.ticketId);
      const list = byTicket.get(key);
      if (list) list.push(doc);
      else byTicket.set(key, [doc]);
    }
    return ticketIds.map((id) => byTicket.get(String(id)) ?? []);
  }

  /** By global id (`node`): null for an id that is not a ticket's, malformed ones included. */
  async byIdOrNull(id: string): Promise<TicketView | null> {
    if (!/^[0-9a-f]{24}$/i.test(id)) return null;
    const ticket = await this.store.byId(new mongoose.Types.ObjectId(id));
    return ticket ? toTicket(ticket) : null;
  }

  /** The ticket with this number, or null (integrators; no email needed). */
  async byNumberOrNull(ticketNumber: string): Promise<TicketView | null> {
    const number = valid(checkTicketNumber(ticketNumber));
    const ticket = await this.store.byNumber(number);
    return ticket ? toTicket(ticket) : null;
  }
}
