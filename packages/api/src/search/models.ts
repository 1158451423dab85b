// The search capability's models, handed to the composition root (src/models.ts):
// its one index, on the tickets' own words (search-words.ts). A word by
// equality and the last word by an anchored pattern (one range of index
// keys) on MongoDB, newest tickets first.
import type { IndexedModel } from '../db/connection';
import { ticketIndexes } from '../tickets/ticket.store';

export const searchModels: readonly IndexedModel[] = [
  ticketIndexes([{ key: { searchWords: 1, _id: -1 }, options: { name: 'search_words' } }]),
];
