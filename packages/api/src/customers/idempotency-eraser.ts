// Idempotency: the client's key (free text: it may hold anything) and the
// fingerprint of the create input (a hash of the email, name and texts)
// go. A retry of the original createTicket after erasure makes a new
// ticket, which is right: the old one is no longer the customer's.
// Belongs with the tickets capability at merge.
import type { Types } from 'mongoose';
import { TicketModel } from '../tickets/ticket.model';
import type { Eraser } from './eraser';

export const idempotencyEraser: Eraser = {
  name: 'idempotency fingerprints',
  async erase(ticketIds) {
    const ids = [...ticketIds] as Types.ObjectId[];
    const res = await TicketModel.collection.updateMany(
      {
        _id: { $in: ids },
        erasedAt: { $exists: true },
        $or: [{ idempotencyKey: { $exists: true } }, { inputHash: { $exists: true } }],
      },
      { $unset: { idempotencyKey: '', inputHash: '' } },
    );
    return res.modifiedCount;
  },
};
