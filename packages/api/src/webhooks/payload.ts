// The JSON a webhook receives for one event (contract: "Webhooks").
import { toEvent, type StoredEvent, type TicketView } from '../tickets/ticket.service';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function webhookPayload(event: StoredEvent, ticket: TicketView): string {
  return JSON.stringify({
    type: `ticket.${event.kind.toLowerCase()}`,
    timestamp: event.at.toISOString(),
    data: {
      ticket: {
        id: ticket.id,
        ticketNumber: ticket.ticketNumber,
        subject: ticket.subject,
        description: ticket.description,
        status: ticket.status,
        priority: ticket.priority,
        source: ticket.source,
        customerEmail: ticket.customerEmail,
        customerName: ticket.customerName ?? null,
        chatId: ticket.chatId ?? null,
        createdAt: iso(ticket.createdAt),
        updatedAt: iso(ticket.updatedAt),
        firstResponseAt: iso(ticket.firstResponseAt),
        resolvedAt: iso(ticket.resolvedAt),
        closedAt: iso(ticket.closedAt),
        resolutionNotes: ticket.resolutionNotes ?? null,
        assignee: ticket.assignee ?? null,
      },
      event: { id: String(event._id), kind: event.kind, at: event.at.toISOString(), message: event.message ?? null, actor: event.actor ?? null, visibility: toEvent(event).visibility, attachments: (event.attachments ?? []).map((a) => ({ id: String(a._id), filename: a.filename, contentType: a.contentType, size: a.size })) },
    },
  });
}
