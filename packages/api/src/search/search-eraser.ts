// Erasure: an erased ticket's entries go (its texts are placeholders now,
// and nobody's words); a late text's entry goes with the late text, by the
// same filter on the ticket's event order as the events themselves.
import type { Eraser } from '../customers/eraser';
import { SearchBacklogModel } from './search-backlog.model';
import { SearchEntryModel } from './search-entry.model';

export const searchEraser: Eraser = {
  name: 'search index',
  async erase(ticketIds) {
    const res = await SearchEntryModel.collection.deleteMany({ ticketId: { $in: [...ticketIds] } });
    // A backlogged ticket would only be indexed from its placeholders: nothing to keep.
    await SearchBacklogModel.collection.deleteMany({ _id: { $in: [...ticketIds] } });
    return res.deletedCount;
  },
  async eraseLate(ticketId, placedBefore) {
    // placedBefore names ticketId and ticketSeq, the fields entries share with events; entries without a ticketSeq are the ticket's own texts.
    const res = await SearchEntryModel.collection.deleteMany({ ...placedBefore, ticketId });
    return res.deletedCount;
  },
};
