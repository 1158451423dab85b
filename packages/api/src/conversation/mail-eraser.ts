// Erasure's part here (customers/eraser.ts): the customer's key to each
// erased ticket (its hash, and its sealed copy if the confirmation was
// still pending), the records of the mail sent to them and of the mail
// they sent in. Idempotent: a second run finds nothing.
import type { Types } from 'mongoose';
import type { Eraser } from '../customers/eraser';
import { TicketModel } from '../tickets/ticket.model';
import { InboundMailModel } from './inbound-mail.model';
import { OutboundMailModel } from './outbound-mail.model';

export const mailEraser: Eraser = {
  name: 'customer keys and mail records',
  async erase(ticketIds) {
    const ids = [...ticketIds] as Types.ObjectId[];
    const keys = await TicketModel.collection.updateMany(
      { _id: { $in: ids }, $or: [{ customerKeyHash: { $exists: true } }, { customerKeySealed: { $exists: true } }] },
      { $unset: { customerKeyHash: '', customerKeySealed: '' } },
    );
    const sent = await OutboundMailModel.collection.deleteMany({ ticketId: { $in: ids } });
    const received = await InboundMailModel.collection.deleteMany({ ticketId: { $in: ids } });
    return keys.modifiedCount + sent.deletedCount + received.deletedCount;
  },
};
