// Erasure: an erased ticket keeps no words (the claim drops them, and every
// pass of the erasure empties them again, against a write racing it); a
// late text's words go with the late text: the ticket's words are computed
// again from the texts it still has, written with its compare-and-set, so
// the words of a reply landing meanwhile are not lost.
import type { Eraser } from '../customers/eraser';
import type { TicketStore } from '../tickets/ticket.store';
import { rewriteWords } from './search.indexer';

export const searchEraser = (store: TicketStore): Eraser => ({
  name: 'search words',
  // Empty, not missing: later texts (placed after the ERASED event) add to them, and the backlog leaves it be.
  erase: (ticketIds) => store.setEach(ticketIds, { erasedAt: { $exists: true } }, { searchWords: [] }),
  async eraseLate(ticketId) {
    return (await rewriteWords(store, ticketId, {})) === 'written' ? 1 : 0;
  },
});
