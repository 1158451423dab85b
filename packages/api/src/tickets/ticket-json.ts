// A ticket as plain JSON for readers outside GraphQL (webhook payloads,
// the customers' export): every field but the timeline, times as ISO
// strings, absent values as null; an event's files as metadata only.
import type { AttachmentRef } from '../attachments/attachment.model';
import { fieldList, type StoredValue } from '../fields/field-values';
import type { TicketView } from './ticket.mappers';

export const isoOrNull = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function ticketJson(t: TicketView) {
  return {
    id: t.id,
    ticketNumber: t.ticketNumber,
    subject: t.subject,
    description: t.description,
    status: t.status,
    priority: t.priority,
    source: t.source,
    customerEmail: t.customerEmail,
    customerName: t.customerName ?? null,
    chatId: t.chatId ?? null,
    createdAt: isoOrNull(t.createdAt),
    updatedAt: isoOrNull(t.updatedAt),
    firstResponseAt: isoOrNull(t.firstResponseAt),
    resolvedAt: isoOrNull(t.resolvedAt),
    closedAt: isoOrNull(t.closedAt),
    resolutionNotes: t.resolutionNotes ?? null,
    assignee: t.assignee ?? null,
    tags: (t as { tags?: string[] }).tags ?? [],
    fields: fieldList((t as { fields?: Record<string, StoredValue> }).fields),
  };
}

/** The files of an event: metadata, never bytes or links. */
export const attachmentsJson = (refs: readonly AttachmentRef[] | null | undefined) =>
  (refs ?? []).map((a) => ({ id: String(a._id), filename: a.filename, contentType: a.contentType, size: a.size }));
