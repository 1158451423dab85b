// Idempotency: the client's key (free text: it may hold anything) and the
// fingerprint of the create input (a hash of the email, name and texts)
// go. A retry of the original createTicket after erasure makes a new
// ticket, which is right: the old one is no longer the customer's.
// Belongs with the tickets capability at merge.
import type { TicketStore } from '../tickets/ticket.store';
import type { Eraser } from './eraser';

export const idempotencyEraser = (store: TicketStore): Eraser => ({
  name: 'idempotency fingerprints',
  erase: (ticketIds) => store.unsetOnErased(ticketIds, ['idempotencyKey', 'inputHash']),
});
