// What is kept of a customer's mail, for export and erasure: the records
// of the mail sent to them (email_messages, by their tickets) and of the
// mail they sent in (email_inbound: by their tickets, and by the hash of
// their address for what opened nothing: auto-replies, capped, refused).
import { createHash } from 'node:crypto';
import type { Types } from 'mongoose';
import { normalizeEmail } from '../tickets/email-spelling';
import { InboundMailModel } from './inbound-mail.model';
import { OutboundMailModel } from './outbound-mail.model';

/** A sender as inbound records name it: a hash of the address in its one spelling, never the address. */
export const senderHashOf = (address: string): string =>
  createHash('sha256')
    .update(`sender:${normalizeEmail(address)}`)
    .digest('base64url');

export interface MailRecords {
  sent: {
    messageId: string;
    ticketId: string;
    template: string;
    status: string;
    attempts: number;
    lastError: string | null;
    sentAt: string | null;
    createdAt: string | null;
  }[];
  received: {
    messageId: string;
    ticketId: string | null;
    mailbox: string;
    outcome: string;
    reason: string | null;
    at: string | null;
  }[];
}

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);

/** The mail records of this email's tickets and of this sender, for the export. */
export async function mailRecordsOf(email: string, ticketIds: readonly Types.ObjectId[]): Promise<MailRecords> {
  const ids = [...ticketIds];
  const sent = await OutboundMailModel.collection
    .find({ ticketId: { $in: ids } })
    .sort({ seq: 1 })
    .toArray();
  const received = await InboundMailModel.collection
    .find({ $or: [{ ticketId: { $in: ids } }, { senderHash: senderHashOf(email) }] })
    .sort({ at: 1 })
    .toArray();
  return {
    sent: sent.map((r) => ({
      messageId: r.messageId,
      ticketId: String(r.ticketId),
      template: r.template,
      status: r.status,
      attempts: r.attempts,
      lastError: r.lastError ?? null,
      sentAt: iso(r.sentAt),
      createdAt: iso(r.createdAt),
    })),
    received: received.map((r) => ({
      messageId: r.messageId,
      ticketId: r.ticketId ? String(r.ticketId) : null,
      mailbox: r.mailbox,
      outcome: r.outcome,
      reason: r.reason ?? null,
      at: iso(r.at),
    })),
  };
}
