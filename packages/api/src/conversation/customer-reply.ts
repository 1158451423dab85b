// What a customer's reply does to a ticket, as a pure plan for the ticket
// service's compare-and-set on status: the CUSTOMER_REPLY event first
// (its ticketSeq and its id both come before any REOPENED), WAITING_ON_CUSTOMER
// and RESOLVED back to OPEN, CLOSED refused.
import { badUserInput } from '../errors/api-errors';
import { planStatusChange, type TicketChange } from '../tickets/status-transition';
import { TicketStatus, TimelineEventKind } from '../tickets/ticket.enums';

/** Where a message came from, stored on its event (the agent's page shows it). */
export enum MessageChannel {
  WEB = 'WEB',
  EMAIL = 'EMAIL',
}

const BACK_TO_OPEN: ReadonlySet<TicketStatus> = new Set([TicketStatus.WAITING_ON_CUSTOMER, TicketStatus.RESOLVED]);

export const closedRefusal = () =>
  badUserInput([{ field: 'ticketNumber', message: 'is closed: it takes no more replies (open a new ticket)' }]);

/**
 * The change a reply makes. `reply` is the event as the caller built it
 * (its id chosen early when uploads reference it). Throws for CLOSED.
 */
export function planCustomerReply<E extends { kind: TimelineEventKind }>(
  from: TicketStatus,
  now: Date,
  reply: E,
): TicketChange & { events: (E | TicketChange['events'][number])[] } {
  if (from === TicketStatus.CLOSED) throw closedRefusal();
  const reopen = BACK_TO_OPEN.has(from) ? planStatusChange(from, TicketStatus.OPEN, now) : null;
  return {
    set: { ...reopen?.set, lastCustomerReplyAt: now, awaitingAgent: true },
    unset: reopen?.unset ?? [],
    events: [reply, ...(reopen?.events ?? [])],
  };
}
