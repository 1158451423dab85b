// Erasure's part here (customers/eraser.ts): the customer's key to each
// erased ticket (its hash, and its sealed copy if the confirmation was
// still pending), the records of the mail sent to them, and the mail they
// sent in: the messages themselves in every configured IMAP mailbox
// (flagged \\Deleted and expunged), read or not, and their records. Messages
// are found by the Message-IDs of their records and by their address
// (SEARCH FROM): IMAP SEARCH matches substrings, so each hit's envelope is
// checked for the exact Message-ID or address. Records go by ticket and by
// the hash of the sender's address (auto-replies, mail over a cap, refused
// mail name no ticket). Idempotent: a second run finds nothing. The
// mailbox goes before the records that find its messages: a server that
// cannot be reached fails the pass, and the next finds them. A process
// without IMAP_URL in a deployment that reads mail (a mailbox lease
// exists) fails the pass too and keeps the records; where no process ever
// read mail there is no mailbox to clear.
import type { Types } from 'mongoose';
import type { ImapFlow } from 'imapflow';
import type { Eraser } from '../customers/eraser';
import { normalizeEmail } from '../tickets/email-spelling';
import type { TicketStore } from '../tickets/ticket.store';
import type { EmailConfig } from './email-config';
import { InboundMailModel } from './inbound-mail.model';
import { imapClient } from './imap-client';
import { wellFormedMessageId } from './inbound-rules';
import { MailLeaseModel } from './mail-lease.model';
import { senderHashOf } from './mail-records';
import { OutboundMailModel } from './outbound-mail.model';

/** The UIDs among `hits` whose envelope passes `exact` (IMAP SEARCH matches substrings: each hit is checked). */
async function exactly(
  client: ImapFlow,
  hits: readonly number[],
  exact: (envelope: { messageId?: string; from?: { address?: string }[] }) => boolean,
): Promise<number[]> {
  if (!hits.length) return [];
  const kept: number[] = [];
  for await (const m of client.fetch(hits.join(','), { uid: true, envelope: true }, { uid: true }))
    if (m.envelope && exact(m.envelope)) kept.push(m.uid);
  return kept;
}

/** Delete these messages from every mailbox email in reads or files into; how many were deleted. */
async function deleteFromMailboxes(
  config: EmailConfig & { imapUrl: string },
  messageIds: readonly string[],
  senders: readonly string[] = [],
): Promise<number> {
  const client: ImapFlow = imapClient(config.imapUrl);
  await client.connect();
  let deleted = 0;
  try {
    const boxes = [...new Set([...config.mailboxes, config.processedMailbox, config.rejectedMailbox].filter(Boolean))];
    const existing = new Set((await client.list()).map((b) => b.path));
    for (const box of boxes as string[]) {
      if (!existing.has(box)) continue;
      const lock = await client.getMailboxLock(box);
      try {
        const uids = new Set<number>();
        for (const id of messageIds) {
          // Only a Message-ID of the <left@right> form is looked for (a record of "a" would find half the mailbox).
          if (wellFormedMessageId(id) !== id) continue;
          const hits = (await client.search({ header: { 'message-id': id } }, { uid: true })) || [];
          for (const uid of await exactly(client, hits, (e) => e.messageId?.trim() === id)) uids.add(uid);
        }
        for (const address of senders) {
          const hits = (await client.search({ from: address }, { uid: true })) || [];
          const theirs = (e: { from?: { address?: string }[] }) =>
            (e.from ?? []).some((f) => Boolean(f.address) && normalizeEmail(f.address!) === normalizeEmail(address));
          for (const uid of await exactly(client, hits, theirs)) uids.add(uid);
        }
        if (uids.size && (await client.messageDelete([...uids].join(','), { uid: true }))) deleted += uids.size;
      } finally {
        lock.release();
      }
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return deleted;
}

/** Some process of this deployment reads mail (it holds or held a mailbox's lease). */
async function readsMail(): Promise<boolean> {
  const leases = await MailLeaseModel.collection.find<{ _id: string }>({}).toArray();
  return leases.some((l) => String(l._id).startsWith('inbound:'));
}

/** Refused: this process cannot reach the mailboxes the records point to (the records stay for a process that can). */
async function mailboxesReachable(config: EmailConfig | undefined): Promise<boolean> {
  if (config?.imapUrl) return true;
  if (await readsMail())
    throw new Error(
      'this deployment reads mail (email in), but IMAP_URL is not set here: erasing needs it to remove the messages',
    );
  return false;
}

export function mailEraser(tickets: TicketStore, config?: EmailConfig): Eraser {
  /** These inbound records' messages out of the mailboxes (and those from `senders`), then the records. */
  async function eraseInbound(records: readonly { messageId: string }[], senders: readonly string[]): Promise<number> {
    if (!records.length && !senders.length) return 0;
    let mailbox = 0;
    if (await mailboxesReachable(config))
      mailbox = await deleteFromMailboxes(
        { ...config!, imapUrl: config!.imapUrl! },
        records.map((r) => r.messageId),
        senders,
      );
    const received = await InboundMailModel.collection.deleteMany({
      messageId: { $in: records.map((r) => r.messageId) },
    });
    return received.deletedCount + mailbox;
  }

  return {
    name: 'customer keys and mail',
    async erase(ticketIds) {
      const ids = [...ticketIds] as Types.ObjectId[];
      const keys = await tickets.dropFields(ids, ['customerKeyHash', 'customerKeySealed']);
      const sent = await OutboundMailModel.collection.deleteMany({ ticketId: { $in: ids } });
      const senders = (
        await InboundMailModel.collection
          .find<{ senderHash?: string }>({ ticketId: { $in: ids }, fromCustomer: true })
          .toArray()
      ).flatMap((r) => (r.senderHash ? [r.senderHash] : []));
      const theirs = { $or: [{ ticketId: { $in: ids } }, { senderHash: { $in: [...new Set(senders)] } }] };
      const records = await InboundMailModel.collection.find<{ messageId: string }>(theirs).toArray();
      return keys + sent.deletedCount + (await eraseInbound(records, []));
    },
    // By the address itself: what names no ticket, and what is still unread in a mailbox (read later, it would open a new ticket).
    async eraseEmail(email) {
      const records = await InboundMailModel.collection
        .find<{ messageId: string }>({ senderHash: senderHashOf(email) })
        .toArray();
      return eraseInbound(records, [email]);
    },
  };
}
