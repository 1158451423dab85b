import { containsPhrase, fold, parseQuery, terms } from '../../src/search/analyzer';
import { byRank, decodeSearchCursor, encodeSearchCursor, isAfter } from '../../src/search/search-cursor';

describe('search analyzer', () => {
  it('folds case, accents and compatibility forms', () => {
    expect(['Crème', 'BRÛLÉE', 'ﬁle', 'Ǆ'].map(fold)).toEqual(['creme', 'brulee', 'file', 'dz']);
  });

  it('keeps word-like segments in order, repeats included', () => {
    expect(terms('Error E-42: the printer, the PRINTER!')).toEqual([
      'error',
      'e',
      '42',
      'the',
      'printer',
      'the',
      'printer',
    ]);
    expect(terms('打印机卡纸了').length).toBeGreaterThan(1);
    expect(terms('')).toEqual([]);
  });

  it('finds phrases as consecutive terms', () => {
    expect(containsPhrase(['a', 'b', 'c'], ['b', 'c'])).toBe(true);
    expect(containsPhrase(['a', 'b', 'c'], ['c', 'b'])).toBe(false);
    expect(containsPhrase(['a'], ['a', 'b'])).toBe(false);
  });

  it('parses words, the last as a prefix, phrases, emails and numbers', () => {
    expect(parseQuery('printer ja')).toMatchObject({ words: ['printer'], prefix: 'ja', phrases: [] });
    expect(parseQuery('printer jam ')).toMatchObject({ words: ['printer', 'jam'], prefix: null });
    expect(parseQuery('"Paper Jam" tray')).toMatchObject({ words: [], prefix: 'tray', phrases: [['paper', 'jam']] });
    expect(parseQuery('tray "paper jam"')).toMatchObject({
      words: ['tray'],
      prefix: null,
      phrases: [['paper', 'jam']],
    });
    expect(parseQuery('Ada@Example.COM tkt-00042')).toMatchObject({
      words: [],
      prefix: null,
      emails: ['ada@example.com'],
      numbers: ['TKT-00042'],
    });
    expect(parseQuery('not@an@email')).toMatchObject({ emails: [] });
    expect(parseQuery('   ')).toMatchObject({ words: [], prefix: null, phrases: [], emails: [], numbers: [] });
  });

  it('orders best first, then newest, and cursors round-trip', () => {
    const a = { score: 10, id: '0'.repeat(23) + '1' };
    const b = { score: 10, id: '0'.repeat(23) + '2' };
    const c = { score: 3, id: 'f'.repeat(24) };
    expect([c, a, b].sort(byRank)).toEqual([b, a, c]);
    expect(isAfter(a, b)).toBe(true);
    expect(isAfter(b, a)).toBe(false);
    expect(decodeSearchCursor(encodeSearchCursor(c))).toEqual(c);
    expect(decodeSearchCursor('garbage')).toBeNull();
  });
});
