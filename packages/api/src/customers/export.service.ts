// Export of customers' data (access requests): every ticket of the email
// with its whole timeline, for customerData and `npm run customers -- export`.
import { attachmentsJson, isoOrNull, ticketJson } from '../tickets/ticket-json';
import {
  orderedTimeline,
  toTicket,
  type StoredEvent,
  type StoredTicket,
  type TicketView,
} from '../tickets/ticket.mappers';
import type { TicketStore } from '../tickets/ticket.store';
import { checkEmail, valid } from '../tickets/ticket.validation';
import { deliveriesCollection, webhooksCollection } from '../webhooks/durable';
import { mailRecordsOf, type MailRecords } from '../conversation/mail-records';
import type { CustomerAuditLog } from './audit';
import { disclose } from './disclosure';
import { AuditAction } from './customer-audit.model';

export interface CustomerExport {
  email: string;
  tickets: TicketView[];
  idempotencyKeys: { ticketNumber: string; key: string }[];
  recipients: { webhookId: string; url: string | null; owner: string | null; events: number }[];
  /** The records of the mail sent to them and received from them (conversation/mail-records.ts). */
  mail: MailRecords;
}

/** Most tickets one export reads (the oldest): a bound on one answer; no person writes this many. */
export const EXPORT_MAX_TICKETS = 10_000;

export class ExportService {
  constructor(
    private readonly audit: CustomerAuditLog,
    private readonly store: TicketStore,
  ) {}

  async export(rawEmail: string, actor: string): Promise<CustomerExport> {
    const email = valid(checkEmail(rawEmail, 'email'));
    const docs = await this.store.find<StoredTicket>(
      { customerEmail: email },
      { sort: { createdAt: 1, _id: 1 }, limit: EXPORT_MAX_TICKETS },
    );
    const events = await this.store.eventsOf(docs.map((d) => d._id));
    const byTicket = new Map<string, StoredEvent[]>();
    for (const e of events) byTicket.set(String(e.ticketId), [...(byTicket.get(String(e.ticketId)) ?? []), e]);
    // Who did what is part of what we hold about them: actors included.
    const tickets = docs.map((d) =>
      disclose({ ...toTicket(d), timeline: orderedTimeline(byTicket.get(String(d._id)) ?? [], true) }),
    );
    const idempotencyKeys = docs.flatMap((d) =>
      typeof d.idempotencyKey === 'string' ? [{ ticketNumber: d.ticketNumber, key: d.idempotencyKey }] : [],
    );
    const recipients = await recipientsOf(events.map((e) => e._id));
    const mail = await mailRecordsOf(
      email,
      docs.map((d) => d._id),
    );
    await this.audit.record(AuditAction.EXPORT, actor, email, { tickets: tickets.length });
    return { email, tickets, idempotencyKeys, recipients, mail };
  }
}

/** The webhooks these events were sent to (a delivery record exists), with their owners. */
async function recipientsOf(eventIds: readonly unknown[]): Promise<CustomerExport['recipients']> {
  if (!eventIds.length) return [];
  const perWebhook = new Map<string, { webhookId: unknown; events: number }>();
  for (const d of await deliveriesCollection()
    .find({ eventId: { $in: [...eventIds] as never } })
    .toArray()) {
    const key = String(d.webhookId);
    perWebhook.set(key, { webhookId: d.webhookId, events: (perWebhook.get(key)?.events ?? 0) + 1 });
  }
  const hooks = await webhooksCollection()
    .find({ _id: { $in: [...perWebhook.values()].map((w) => w.webhookId) as never } })
    .toArray();
  const byId = new Map(hooks.map((h) => [String(h._id), h]));
  return [...perWebhook.entries()].map(([id, w]) => ({
    webhookId: id,
    url: byId.get(id)?.url ?? null,
    owner: byId.get(id)?.owner ?? null,
    events: w.events,
  }));
}

/** The export as plain JSON (the CLI): the fields customerData answers, no storage internals. */
export function exportJson(data: CustomerExport): unknown {
  return {
    email: data.email,
    idempotencyKeys: data.idempotencyKeys,
    recipients: data.recipients,
    mail: data.mail,
    tickets: data.tickets.map((t) => ({
      ...ticketJson(t),
      // Internal events (notes, assignments) are part of what is held: marked, not left out.
      timeline: (t.timeline ?? []).map((e) => ({
        id: e.id,
        kind: e.kind,
        visibility: e.visibility,
        at: isoOrNull(e.at),
        message: e.message ?? null,
        actor: e.actor ?? null,
        // Metadata of the files held (names can be personal data); their bytes are downloads away.
        attachments: attachmentsJson(e.attachments),
      })),
    })),
  };
}
