// The JSON a webhook receives for one event (contract: "Webhooks"); the
// event's `sequence` lets a receiver keep a ticket's events in order.
import { sequenceOf } from '../tickets/event-seq';
import { attachmentsJson, ticketJson } from '../tickets/ticket-json';
import { toEvent, type StoredEvent, type TicketView } from '../tickets/ticket.mappers';

export function webhookPayload(event: StoredEvent, ticket: TicketView): string {
  return JSON.stringify({
    type: `ticket.${event.kind.toLowerCase()}`,
    timestamp: event.at.toISOString(),
    data: {
      ticket: ticketJson(ticket),
      event: {
        id: String(event._id),
        kind: event.kind,
        sequence: sequenceOf(event),
        at: event.at.toISOString(),
        message: event.message ?? null,
        actor: event.actor ?? null,
        visibility: toEvent(event).visibility,
        attachments: attachmentsJson(event.attachments),
      },
    },
  });
}
