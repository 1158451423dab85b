// The inbox's live merge: a change arriving over ticketChanged lands where
// the listing would have put it, or nowhere.
import type { TicketSummary } from '@tickets/sdk';
import {
  appendPage,
  applyChange,
  capRows,
  matches,
  MAX_ROWS,
  NO_FILTER,
  toTicketFilter,
} from '../src/agent/inbox-filter';

const ticket = (id: string, createdAt: string, over: Partial<TicketSummary> = {}) =>
  ({
    id,
    ticketNumber: `TKT-${id}`,
    createdAt,
    status: 'OPEN',
    priority: 'NORMAL',
    assignee: null,
    ...over,
  }) as TicketSummary;
const ids = (rows: TicketSummary[]) => rows.map((r) => r.id);

const rows = [ticket('3', '2026-12-01T10:03:00Z'), ticket('2', '2026-12-01T10:02:00Z')];

it('puts a new ticket first, replaces a known one in place, drops one that no longer matches', () => {
  expect(ids(applyChange(rows, ticket('4', '2026-12-01T10:04:00Z'), NO_FILTER, 'me', false))).toEqual(['4', '3', '2']);
  const changed = applyChange(
    rows,
    ticket('2', '2026-12-01T10:02:00Z', { status: 'RESOLVED' }),
    NO_FILTER,
    'me',
    false,
  );
  expect(changed.map((r) => [r.id, r.status])).toEqual([
    ['3', 'OPEN'],
    ['2', 'RESOLVED'],
  ]);
  expect(
    ids(
      applyChange(
        rows,
        ticket('3', '2026-12-01T10:03:00Z', { assignee: 'someone' }),
        { ...NO_FILTER, assignment: 'unassigned' },
        'me',
        false,
      ),
    ),
  ).toEqual(['2']);
});

it('leaves a ticket older than the last row to "Load more", unless every page is shown', () => {
  const old = ticket('1', '2026-12-01T10:01:00Z');
  expect(ids(applyChange(rows, old, NO_FILTER, 'me', false))).toEqual(['3', '2']);
  expect(ids(applyChange(rows, old, NO_FILTER, 'me', true))).toEqual(['3', '2', '1']);
});

it('filters as the API does', () => {
  expect(toTicketFilter({ status: 'OPEN', priority: '', assignment: 'mine' }, 'ada')).toEqual({
    status: ['OPEN'],
    assignee: 'ada',
  });
  expect(toTicketFilter({ status: '', priority: 'HIGH', assignment: 'unassigned' }, 'ada')).toEqual({
    priority: ['HIGH'],
    unassigned: true,
  });
  expect(matches(ticket('1', 'x', { assignee: 'ada' }), { ...NO_FILTER, assignment: 'mine' }, 'ada')).toBe(true);
  expect(matches(ticket('1', 'x', { assignee: 'bob' }), { ...NO_FILTER, assignment: 'mine' }, 'ada')).toBe(false);
});

it('appends a page once per ticket', () => {
  expect(
    ids(
      appendPage(rows, [
        ticket('2', '2026-12-01T10:02:00Z'),
        ticket('1', '2026-12-01T10:01:00Z'),
        ticket('1', '2026-12-01T10:01:00Z'),
      ]),
    ),
  ).toEqual(['3', '2', '1']);
  const many = Array.from({ length: MAX_ROWS }, (_, i) =>
    ticket(String(i), `2026-12-01T10:00:00.${String(999 - i).padStart(3, '0')}Z`),
  );
  expect(appendPage(many, many)).toHaveLength(MAX_ROWS);
});

it('keeps the newest 500 rows and says when it dropped older ones; live arrivals past the cap push the oldest out', () => {
  const many = Array.from({ length: MAX_ROWS }, (_, i) =>
    ticket(String(1000 + i), `2026-12-01T10:00:00.${String(999 - i).padStart(3, '0')}Z`),
  );
  expect(MAX_ROWS).toBe(500);
  expect(capRows(many)).toEqual({ rows: many, capped: false });
  const grown = applyChange(many, ticket('new', '2026-12-01T11:00:00Z'), NO_FILTER, 'me', true);
  const kept = capRows(grown);
  expect(kept.capped).toBe(true);
  expect(kept.rows).toHaveLength(MAX_ROWS);
  expect(kept.rows[0].id).toBe('new');
  expect(ids(kept.rows)).not.toContain(many.at(-1)!.id);
});
