// The inbox's filters, as the API's TicketFilter and as a test a live
// change is put through (the same rules, for tickets arriving between reads).
import type { TicketFilter, TicketPriority, TicketStatus, TicketSummary } from '@tickets/sdk';
import type { AppliedView } from './inbox-finding';

export type Assignment = 'all' | 'mine' | 'unassigned';

/** Newest first, last activity first, or the earliest running SLA deadline first. */
export type InboxOrder = 'CREATED_DESC' | 'UPDATED_DESC' | 'DUE_ASC';

export interface InboxFilter {
  status: TicketStatus | '';
  priority: TicketPriority | '';
  assignment: Assignment;
  order?: InboxOrder;
  /** Search words (searchTickets, best matches first); '' or left out: a listing. */
  query?: string;
  /** A saved view applied: its query, filter and order stand instead of the ones above. */
  view?: AppliedView;
}

export const NO_FILTER: InboxFilter = { status: '', priority: '', assignment: 'all', order: 'CREATED_DESC' };

/** A ticket as a live change brings it: without its deadlines (the feed does not compute them). */
export type ChangedTicket = Omit<TicketSummary, 'sla' | 'tags'> & {
  sla?: TicketSummary['sla'];
  tags?: TicketSummary['tags'];
};

/** Rows an inbox keeps at most (pages and live arrivals together); past it, the oldest go and a refresh is offered. */
export const MAX_ROWS = 500;

/** The newest `max` rows (rows are newest first), and whether any were dropped. */
export function capRows(rows: TicketSummary[], max = MAX_ROWS): { rows: TicketSummary[]; capped: boolean } {
  return rows.length > max ? { rows: rows.slice(0, max), capped: true } : { rows, capped: false };
}

/** A page appended to the rows shown, each ticket once (a Set of ids: linear, not quadratic). */
export function appendPage(rows: TicketSummary[], page: TicketSummary[]): TicketSummary[] {
  const ids = new Set(rows.map((r) => r.id));
  const out = rows.slice();
  for (const t of page)
    if (!ids.has(t.id)) {
      ids.add(t.id);
      out.push(t);
    }
  return out;
}

export function toTicketFilter(f: InboxFilter, me: string): TicketFilter {
  if (f.view) return f.view.filter;
  return {
    ...(f.status && { status: [f.status] }),
    ...(f.priority && { priority: [f.priority] }),
    ...(f.assignment === 'mine' && { assignee: me }),
    ...(f.assignment === 'unassigned' && { unassigned: true }),
  };
}

export function matches(t: TicketSummary, f: InboxFilter, me: string): boolean {
  if (f.status && t.status !== f.status) return false;
  if (f.priority && t.priority !== f.priority) return false;
  if (f.assignment === 'mine' && t.assignee !== me) return false;
  if (f.assignment === 'unassigned' && t.assignee) return false;
  return true;
}

/** Newest first, as the listing orders them (createdAt, then id). */
export function newestFirst(a: TicketSummary, b: TicketSummary): number {
  return b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id);
}

/**
 * A live change applied to the rows shown: replaced where it is, dropped
 * when it no longer matches, and a new ticket put in its place when it
 * falls within what is shown (newer than the last row, or everything is
 * shown). Tickets older than the last row come with "Load more".
 */
export function applyChange(
  rows: TicketSummary[],
  changed: ChangedTicket,
  f: InboxFilter,
  me: string,
  complete: boolean,
): TicketSummary[] {
  // The deadlines shown stay until the next read (a change does not carry them).
  const t: TicketSummary = {
    ...changed,
    sla: changed.sla !== undefined ? changed.sla : (rows.find((r) => r.id === changed.id)?.sla ?? null),
    tags: changed.tags ?? rows.find((r) => r.id === changed.id)?.tags ?? [],
  };
  // A search, a view (any filter) or due order: a change stays where it is; new tickets come with the next read.
  if (f.query || f.view) return rows.map((r) => (r.id === t.id ? t : r));
  const without = rows.filter((r) => r.id !== t.id);
  if (!matches(t, f, me)) return without;
  if (f.order === 'DUE_ASC') return rows.map((r) => (r.id === t.id ? t : r));
  // Every change is activity: the changed ticket (new or known) goes first.
  if (f.order === 'UPDATED_DESC') return [t, ...without];
  const last = rows.at(-1);
  const known = without.length !== rows.length;
  if (!known && !complete && last && newestFirst(t, last) > 0) return rows;
  return [...without, t].sort(newestFirst);
}
