// When an answer, a note or a customer's reply that references uploads
// fails, the uploads go back only if its event was never sent. An insert
// that failed may still have been applied (the reply was lost, not the
// write), and an event must never point at bytes a sweep removed.
import mongoose from 'mongoose';
import { ConversationService } from '../../src/conversation/conversation.service';
import { MessageChannel } from '../../src/conversation/customer-reply';
import { createLogger } from '../../src/logging/logger';
import { TicketStatus, TicketPriority } from '../../src/tickets/ticket.enums';
import type { SequencedTicket } from '../../src/tickets/ticket.mappers';
import type { TicketStore } from '../../src/tickets/ticket.store';
import { TicketService } from '../../src/tickets/ticket.service';

const ticket = {
  _id: new mongoose.Types.ObjectId(),
  ticketNumber: 'TKT-00001',
  status: TicketStatus.OPEN,
  priority: TicketPriority.NORMAL,
  customerEmail: 'a@example.com',
  subject: 's',
  description: 'd',
  createdAt: new Date(),
  updatedAt: new Date(),
  lastSequence: 1,
} as unknown as SequencedTicket;

/** A service over a fake store whose compare-and-set or event insert fails; what it gave back. */
function serviceFailingAt(step: 'compareAndSet' | 'insertEvents') {
  const released: string[] = [];
  const fail = async () => {
    throw new Error(`${step} failed`);
  };
  const store = {
    byNumber: async () => ticket,
    sequenced: async () => ticket,
    compareAndSet: step === 'compareAndSet' ? fail : async () => ({ ticket, first: 2 }),
    insertEvents: fail,
  } as unknown as TicketStore;
  const attachments = {
    claim: async (ids: readonly string[] | null | undefined) => ids!.map((id) => ({ id }) as never),
    release: async (eventId: mongoose.Types.ObjectId) => {
      released.push(String(eventId));
    },
  };
  const service = new TicketService(createLogger('silent'), {}, { store, attachments });
  return { service, released, conversation: new ConversationService(service, store, attachments) };
}

type Services = ReturnType<typeof serviceFailingAt>;

describe.each([
  ['respond', (s: Services) => s.service.respond('TKT-00001', 'Hello', 'agent', ['upload-1'])],
  ['addNote', (s: Services) => s.service.addNote('TKT-00001', 'For colleagues', 'agent', ['upload-1'])],
  [
    "a customer's reply",
    (s: Services) =>
      s.conversation.add(
        ticket,
        { message: 'Thanks', attachmentIds: ['upload-1'], channel: MessageChannel.WEB },
        false,
      ),
  ],
])('%s with an upload', (_name, write) => {
  it('gives the upload back when the change fails before its event is sent', async () => {
    const services = serviceFailingAt('compareAndSet');
    await expect(write(services)).rejects.toThrow('compareAndSet failed');
    expect(services.released).toHaveLength(1);
  });

  it('keeps it taken when the event insert fails (it may have been applied)', async () => {
    const services = serviceFailingAt('insertEvents');
    await expect(write(services)).rejects.toThrow('insertEvents failed');
    expect(services.released).toEqual([]);
  });
});
