// Erasure's part here (customers/eraser.ts): the customer's key to each
// erased ticket (its hash, and its sealed copy if the confirmation was
// still pending), the records of the mail sent to them, and the mail they
// sent in: the messages themselves in the IMAP mailboxes (flagged \Deleted
// and expunged, found by Message-ID) and their records. The customer's own
// records (those that opened or answered their tickets from their address)
// name their sender's hash: what else came from it (auto-replies, mail
// over a cap, refused mail) goes too. Idempotent: a second run finds
// nothing. The mailbox goes before the records that find its messages: a
// server that cannot be reached fails the pass, and the next finds them.
import type { Types } from 'mongoose';
import { ImapFlow } from 'imapflow';
import type { Eraser } from '../customers/eraser';
import { TicketModel } from '../tickets/ticket.model';
import type { EmailConfig } from './email-config';
import { InboundMailModel } from './inbound-mail.model';
import { imapClient } from './imap-client';
import { wellFormedMessageId } from './inbound-rules';
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

export function mailEraser(config?: EmailConfig): Eraser {
  return {
    name: 'customer keys and mail',
    async erase(ticketIds) {
      const ids = [...ticketIds] as Types.ObjectId[];
      const keys = await TicketModel.collection.updateMany(
        { _id: { $in: ids }, $or: [{ customerKeyHash: { $exists: true } }, { customerKeySealed: { $exists: true } }] },
        { $unset: { customerKeyHash: '', customerKeySealed: '' } },
      );
      const sent = await OutboundMailModel.collection.deleteMany({ ticketId: { $in: ids } });
      const senders = (
        await InboundMailModel.collection
          .find<{ senderHash?: string }>({ ticketId: { $in: ids }, fromCustomer: true })
          .toArray()
      ).flatMap((r) => (r.senderHash ? [r.senderHash] : []));
      const theirs = { $or: [{ ticketId: { $in: ids } }, { senderHash: { $in: [...new Set(senders)] } }] };
      const records = await InboundMailModel.collection.find<{ messageId: string }>(theirs).toArray();
      let mailbox = 0;
      if (config?.imapUrl && records.length)
        mailbox = await deleteFromMailboxes(
          { ...config, imapUrl: config.imapUrl },
          records.map((r) => r.messageId),
        );
      const received = await InboundMailModel.collection.deleteMany({
        messageId: { $in: records.map((r) => r.messageId) },
      });
      return keys.modifiedCount + sent.deletedCount + received.deletedCount + mailbox;
    },
  };
}
