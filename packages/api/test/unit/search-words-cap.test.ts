// A ticket's words for search stay bounded whatever is written to it (its document must stay under 16 MB).
import { searchWords } from '../../src/search/search-words';
import { TimelineEventKind } from '../../src/tickets/ticket.enums';
import { MAX_SEARCH_WORDS, wordsToAdd } from '../../src/tickets/ticket.store';

const distinct = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `w${from + i}`);

describe('the words a ticket keeps', () => {
  it('adds only words not kept yet, each once', () => {
    expect(wordsToAdd(['printer', 'jam'], ['jam', 'paper', 'paper', 'tray'])).toEqual(['paper', 'tray']);
  });

  it('adds no more than fit under MAX_SEARCH_WORDS, and none once full', () => {
    const kept = distinct(MAX_SEARCH_WORDS - 2);
    expect(wordsToAdd(kept, ['a1', 'a2', 'a3'])).toEqual(['a1', 'a2']);
    expect(wordsToAdd(distinct(MAX_SEARCH_WORDS), ['new'])).toEqual([]);
  });

  it('a whole ticket is cut at MAX_SEARCH_WORDS, its own texts kept before its events', () => {
    const message = distinct(3_000).join(' ');
    const events = Array.from({ length: 5 }, (_, i) => ({
      kind: TimelineEventKind.AGENT_RESPONSE,
      message: distinct(3_000, i * 3_000).join(' '),
    }));
    const words = searchWords({ subject: 'Printer jams', description: message }, events);
    expect(words).toHaveLength(MAX_SEARCH_WORDS);
    expect(words).toEqual(expect.arrayContaining(['printer', 'jams']));
  });
});
