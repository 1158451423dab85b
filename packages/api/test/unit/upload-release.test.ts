// When an answer, a note or a customer's reply that references uploads
// fails, the uploads go back only if its event was never sent, or if its
// number is held by another document (a stand-in: the event can never be
// written). An insert that failed may still have been applied (the reply
// was lost, not the write), and an event must never point at bytes a sweep
// removed.
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

/** Who holds the event's number after its insert failed: nothing known, the event itself, or a stand-in. */
type Holder = 'unknown' | 'event' | 'stand-in';

/** A service over a fake store whose compare-and-set or event insert fails; what it gave back. */
function serviceFailingAt(step: 'compareAndSet' | 'insertEvents', holder: Holder = 'unknown') {
  const released: string[] = [];
  const fail = async () => {
    throw new Error(`${step} failed`);
  };
  let tried: { _id: mongoose.Types.ObjectId; sequence: number }[] = [];
  const store = {
    byNumber: async () => ticket,
    sequenced: async () => ticket,
    compareAndSet: step === 'compareAndSet' ? fail : async () => ({ ticket, first: 2 }),
    insertEvents: async (docs: typeof tried) => {
      tried = docs;
      return fail();
    },
    numberHolders: async () => {
      if (holder === 'unknown') throw new Error('the database is away');
      const id = holder === 'event' ? tried[0]._id : new mongoose.Types.ObjectId();
      return new Map([[tried[0].sequence, id]]);
    },
  } as unknown as TicketStore;
  const attachments = {
    claim: async (ids: readonly string[] | null | undefined) => ids!.map((id) => ({ _id: id }) as never),
    // Only the event's own uploads: another writer may share an event id (an inbound email's).
    release: async (eventId: mongoose.Types.ObjectId, onlyIds?: readonly string[]) => {
      released.push(`${String(eventId)} ${onlyIds?.join(',') ?? 'all'}`);
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
    for (const holder of ['unknown', 'event'] as const) {
      const services = serviceFailingAt('insertEvents', holder);
      await expect(write(services)).rejects.toThrow('insertEvents failed');
      expect({ holder, released: services.released }).toEqual({ holder, released: [] });
    }
  });

  it("gives it back when the failed insert's number is held by a stand-in (the event can never be written)", async () => {
    const services = serviceFailingAt('insertEvents', 'stand-in');
    await expect(write(services)).rejects.toThrow('insertEvents failed');
    expect(services.released).toHaveLength(1);
    expect(services.released[0]).toMatch(/ upload-1$/);
  });
});
