import {
  formatTicketNumber,
  isWellFormedTicketNumber,
  normalizeTicketNumber,
  parseTicketNumber,
} from '../../src/tickets/ticket-number';

describe('ticket numbers', () => {
  it('formats prefix, dash and zero-padded sequence', () => {
    expect(formatTicketNumber(1)).toBe('TKT-00001');
    expect(formatTicketNumber(42)).toBe('TKT-00042');
    expect(formatTicketNumber(99999)).toBe('TKT-99999');
  });

  it('grows past the padding instead of truncating', () => {
    expect(formatTicketNumber(123456)).toBe('TKT-123456');
  });

  it('follows the configured format', () => {
    expect(formatTicketNumber(7, { prefix: 'HELP', pad: 3 })).toBe('HELP-007');
  });

  it('refuses sequences that are not positive integers', () => {
    for (const bad of [0, -1, 1.5, NaN, Number.MAX_SAFE_INTEGER + 2])
      expect(() => formatTicketNumber(bad)).toThrow(RangeError);
  });

  it('normalises and parses what users type', () => {
    expect(normalizeTicketNumber('  tkt-00042 ')).toBe('TKT-00042');
    expect(parseTicketNumber(' tkt-00042')).toEqual({ prefix: 'TKT', seq: 42 });
    expect(parseTicketNumber('HELP-7')).toEqual({ prefix: 'HELP', seq: 7 });
  });

  it('rejects malformed numbers', () => {
    for (const bad of [
      '',
      'TKT',
      'TKT-',
      '42',
      'TKT-0',
      'TKT-00042x',
      'TKT--1',
      'TKT-.*',
      '$gt',
      'TKT-1234567890123456',
    ]) {
      expect(isWellFormedTicketNumber(bad)).toBe(false);
    }
  });
});
