// The rules of a bulk change: what a request may ask, and which parts a ticket still needs.
import { checkChange, checkSource, checkTicketNumbers, MAX_BULK_TICKETS, partsLeft } from '../../src/bulk/bulk-change';
import { TicketPriority, TicketStatus } from '../../src/tickets/ticket.enums';

const fields = (c: { ok: boolean; problems?: { field: string }[] }) => (c.ok ? [] : c.problems!.map((p) => p.field));

describe('checkChange', () => {
  it('keeps only what changes, tags spelt as tags are', () => {
    expect(
      checkChange({ status: TicketStatus.CLOSED, unassign: false, addTags: [' Printer', 'printer'], removeTags: [] }),
    ).toEqual({
      ok: true,
      value: { status: 'CLOSED', addTags: ['printer'] },
    });
    expect(checkChange({ unassign: true })).toEqual({ ok: true, value: { assignee: null } });
  });
  it('names each bad field', () => {
    expect(fields(checkChange({}))).toEqual(['change']);
    expect(fields(checkChange(null))).toEqual(['change']);
    expect(fields(checkChange({ status: 'SHELVED' as TicketStatus }))).toEqual(['change.status']);
    expect(fields(checkChange({ priority: 'SOON' as TicketPriority }))).toEqual(['change.priority']);
    expect(fields(checkChange({ assignee: 'kim', unassign: true }))).toEqual(['change.unassign']);
    expect(fields(checkChange({ assignee: '\u200b' }))).toEqual(['change.assignee']);
    expect(fields(checkChange({ addTags: ['ok', ' '] }))).toEqual(['change.addTags[1]']);
    expect(fields(checkChange({ addTags: ['x'], removeTags: ['X'] }))).toEqual(['change.removeTags']);
  });
});

describe('checkSource and checkTicketNumbers', () => {
  it('wants exactly one source', () => {
    expect(checkSource(['TKT-00001'], null)).toEqual([]);
    expect(checkSource(null, 'v')).toEqual([]);
    expect(checkSource(null, undefined).map((p) => p.field)).toEqual(['ticketNumbers', 'viewId']);
    expect(checkSource([], 'v').map((p) => p.field)).toEqual(['ticketNumbers', 'viewId']);
  });
  it('normalises, keeps the first of repeats, and bounds the list', () => {
    expect(checkTicketNumbers(['tkt-00002', 'TKT-00001', 'TKT-00002'])).toEqual({
      ok: true,
      value: ['TKT-00002', 'TKT-00001'],
    });
    expect(fields(checkTicketNumbers([]))).toEqual(['ticketNumbers']);
    expect(fields(checkTicketNumbers(['TKT-00001', 'nope']))).toEqual(['ticketNumbers[1]']);
    expect(fields(checkTicketNumbers(Array.from({ length: MAX_BULK_TICKETS + 1 }, () => 'TKT-00001')))).toEqual([
      'ticketNumbers',
    ]);
  });
});

describe('partsLeft', () => {
  const change = { status: TicketStatus.RESOLVED, assignee: 'kim', priority: TicketPriority.HIGH, addTags: ['a'] };
  it('asks tags first, then status, assignee and priority', () => {
    expect(partsLeft(change, new Set())).toEqual(['tags', 'status', 'assignee', 'priority']);
    expect(partsLeft({ assignee: null }, new Set())).toEqual(['assignee']);
  });
  it('leaves out what the job already wrote on the ticket', () => {
    expect(partsLeft(change, new Set(['TAGGED', 'REOPENED']))).toEqual(['assignee', 'priority']);
    expect(partsLeft(change, new Set(['TAGGED', 'RESOLVED', 'ASSIGNED', 'PRIORITY_CHANGED']))).toEqual([]);
  });
});
