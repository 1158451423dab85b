// The inbox's small decisions for finding and organising: a view's stored
// filter, typed tags, field inputs and changes, a saved reply in a draft,
// the bulk bar's change and progress, and how live changes meet a search,
// a view and "last activity".
import type { TicketSummary } from '@tickets/sdk';
import { applyChange, NO_FILTER, toTicketFilter } from '../src/agent/inbox-filter';
import {
  appliedView,
  bulkChangeOf,
  changedFields,
  inputFor,
  insertReply,
  parseTags,
  progressOf,
} from '../src/agent/inbox-finding';

const ticket = (id: string, createdAt: string, over: Partial<TicketSummary> = {}) =>
  ({
    id,
    ticketNumber: `TKT-${id}`,
    createdAt,
    status: 'OPEN',
    priority: 'NORMAL',
    assignee: null,
    tags: [],
    ...over,
  }) as TicketSummary;
const ids = (rows: TicketSummary[]) => rows.map((r) => r.id);
const rows = [ticket('3', '2026-12-01T10:03:00Z'), ticket('2', '2026-12-01T10:02:00Z', { tags: ['vip'] })];

it("reads a view's filter from its JSON, and anything else as no filter", () => {
  const base = { id: 'v1', name: 'High', query: null, order: 'UPDATED_DESC' as const };
  expect(appliedView({ ...base, filter: '{"priority":["HIGH"]}' })).toEqual({
    id: 'v1',
    name: 'High',
    query: '',
    filter: { priority: ['HIGH'] },
    order: 'UPDATED_DESC',
  });
  for (const filter of [null, 'not json', '[1]', '"x"', 'null'])
    expect(appliedView({ ...base, filter }).filter).toEqual({});
  const view = appliedView({ ...base, query: 'printer', filter: '{"tags":["vip"]}' });
  // An applied view's filter stands instead of the inbox's own.
  expect(toTicketFilter({ ...NO_FILTER, status: 'OPEN', view }, 'ada')).toEqual({ tags: ['vip'] });
});

it('reads typed tags trimmed, lower case, each once, without empties', () => {
  expect(parseTags(' Billing, VIP ,billing,, ')).toEqual(['billing', 'vip']);
  expect(parseTags('')).toEqual([]);
});

it('gives each field type its input; numbers as text so the server says what is wrong', () => {
  expect(inputFor('DATE')).toEqual({ kind: 'date' });
  expect(inputFor('BOOLEAN')).toEqual({ kind: 'select' });
  expect(inputFor('CHOICE')).toEqual({ kind: 'select' });
  expect(inputFor('NUMBER')).toEqual({ kind: 'text', inputMode: 'decimal' });
  expect(inputFor('TEXT')).toEqual({ kind: 'text' });
});

it('sends only the field values that changed, an emptied one as null', () => {
  const before = [
    { key: 'plan', value: 'pro' },
    { key: 'seats', value: '3' },
  ];
  expect(changedFields(before, { plan: 'pro', seats: '', vip: 'true', note: '' })).toEqual([
    { key: 'seats', value: null },
    { key: 'vip', value: 'true' },
  ]);
  expect(changedFields(before, { plan: 'pro', seats: '3' })).toEqual([]);
});

it('puts a saved reply after the draft, one blank line between', () => {
  expect(insertReply('', 'Body.')).toBe('Body.');
  expect(insertReply('  \n', 'Body.')).toBe('Body.');
  expect(insertReply('Hello Ada,\n\n', 'Body.')).toBe('Hello Ada,\n\nBody.');
});

it("turns the bulk bar's choices into BulkChangeInput, nothing when nothing would change", () => {
  expect(bulkChangeOf({ status: '', priority: '', assignee: ' ', addTag: ' , ' })).toBeNull();
  expect(bulkChangeOf({ status: 'CLOSED', priority: 'HIGH', assignee: ' grace ', addTag: 'Batch, x' })).toEqual({
    status: 'CLOSED',
    priority: 'HIGH',
    assignee: 'grace',
    addTags: ['batch', 'x'],
  });
  // Unassign wins over a name typed before it was ticked.
  expect(bulkChangeOf({ status: '', priority: '', assignee: 'grace', unassign: true, addTag: '' })).toEqual({
    unassign: true,
  });
  expect(progressOf({ done: 3, total: 10 })).toBe('3/10');
});

it('in a search or a view, a live change replaces its row where it is and brings no new rows', () => {
  const view = appliedView({ id: 'v', name: 'v', query: null, filter: '{}', order: 'CREATED_DESC' });
  for (const f of [
    { ...NO_FILTER, query: 'printer' },
    { ...NO_FILTER, view },
  ]) {
    expect(ids(applyChange(rows, ticket('9', '2026-12-01T11:00:00Z'), f, 'me', true))).toEqual(['3', '2']);
    const changed = applyChange(rows, ticket('2', '2026-12-01T10:02:00Z', { status: 'CLOSED' }), f, 'me', true);
    expect(changed.map((r) => [r.id, r.status])).toEqual([
      ['3', 'OPEN'],
      ['2', 'CLOSED'],
    ]);
  }
});

it('by last activity, a changed or new ticket goes first; a change without tags keeps the tags shown', () => {
  const f = { ...NO_FILTER, order: 'UPDATED_DESC' as const };
  const { tags: _tags, ...withoutTags } = ticket('2', '2026-12-01T10:02:00Z', { priority: 'HIGH' });
  const moved = applyChange(rows, withoutTags, f, 'me', false);
  expect(ids(moved)).toEqual(['2', '3']);
  expect(moved[0].tags).toEqual(['vip']);
  expect(ids(applyChange(rows, ticket('1', '2026-12-01T09:00:00Z'), f, 'me', false))).toEqual(['1', '3', '2']);
  // One that no longer matches goes.
  expect(ids(applyChange(rows, ticket('3', 'x', { status: 'CLOSED' }), { ...f, status: 'OPEN' }, 'me', false))).toEqual(
    ['2'],
  );
});
