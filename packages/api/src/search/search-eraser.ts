// Erasure: an erased ticket's postings go (its texts are placeholders now,
// and nobody's words); a late text's postings go with the late text, by the
// same filter on the ticket's event order as the events themselves.
import type { Eraser } from '../customers/eraser';
import { SearchBacklogModel } from './search-backlog.model';
import { SearchTermModel } from './search-term.model';

export const searchEraser: Eraser = {
  name: 'search index',
  async erase(ticketIds) {
    const res = await SearchTermModel.collection.deleteMany({ ticketId: { $in: [...ticketIds] } });
    // A backlogged ticket would only be indexed from its placeholders: nothing to keep.
    await SearchBacklogModel.collection.deleteMany({ _id: { $in: [...ticketIds] } });
    return res.deletedCount;
  },
  async eraseLate(ticketId, placedBefore) {
    // placedBefore names ticketId and sequence, the fields postings share with events; postings without a sequence (the ticket's own texts, and postings written before events were numbered) match it too.
    const res = await SearchTermModel.collection.deleteMany({ ...placedBefore, ticketId });
    return res.deletedCount;
  },
};
