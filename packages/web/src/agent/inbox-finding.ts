// The inbox's finding and organising, as small decisions: a view's stored
// filter, tags typed by an agent, a custom field's input, a saved reply put
// into a draft, what the bulk bar sends and how far a job has got.
import type { CustomFieldType, TicketFilter, TicketOrder, TicketView } from '@tickets/sdk';
import type { BulkChange, BulkJob } from './bulk';

/** A view as the inbox applies it: its search words, its filter parsed, its order. */
export interface AppliedView {
  id: string;
  name: string;
  query: string;
  filter: TicketFilter;
  order: TicketOrder;
}

/** A view's filter is JSON text (TicketView.filter); anything but an object reads as no filter. */
export function appliedView(view: Pick<TicketView, 'id' | 'name' | 'query' | 'filter' | 'order'>): AppliedView {
  let filter: TicketFilter = {};
  try {
    const parsed: unknown = view.filter ? JSON.parse(view.filter) : null;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) filter = parsed as TicketFilter;
  } catch {
    // Not ours to fix here: the view lists everything, as an empty filter does.
  }
  return { id: view.id, name: view.name, query: view.query ?? '', filter, order: view.order };
}

/** Tags as an agent types them ("billing, VIP , billing"): trimmed, lower case, each once, empties dropped. */
export function parseTags(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const tag = raw.trim().toLowerCase();
    if (tag && !out.includes(tag)) out.push(tag);
  }
  return out;
}

/**
 * The input a custom field gets. Numbers are typed as text (inputMode
 * decimal) so the server's own check speaks, not a browser that silently
 * drops what it cannot parse; booleans and choices are a select with
 * "not set" first.
 */
export function inputFor(type: CustomFieldType): { kind: 'text' | 'date' | 'select'; inputMode?: 'decimal' } {
  if (type === 'DATE') return { kind: 'date' };
  if (type === 'BOOLEAN' || type === 'CHOICE') return { kind: 'select' };
  if (type === 'NUMBER') return { kind: 'text', inputMode: 'decimal' };
  return { kind: 'text' };
}

/** The values to send: only those that changed, an emptied one as null (cleared). */
export function changedFields(
  before: readonly { key: string; value: string | null }[],
  draft: Record<string, string>,
): { key: string; value: string | null }[] {
  const was = new Map(before.map((f) => [f.key, f.value ?? '']));
  return Object.entries(draft)
    .filter(([key, value]) => value !== (was.get(key) ?? ''))
    .map(([key, value]) => ({ key, value: value === '' ? null : value }));
}

/** A saved reply put into the reply box: after what is there, a blank line between. */
export function insertReply(draft: string, body: string): string {
  if (!draft.trim()) return body;
  return `${draft.replace(/\s+$/, '')}\n\n${body}`;
}

/** The bulk bar's choices ('' = leave as is) as BulkChangeInput; null when nothing would change. */
export function bulkChangeOf(choice: {
  status: string;
  priority: string;
  assignee: string;
  unassign?: boolean;
  addTag: string;
}): BulkChange | null {
  const change: BulkChange = {};
  if (choice.status) change.status = choice.status as BulkChange['status'];
  if (choice.priority) change.priority = choice.priority as BulkChange['priority'];
  if (choice.unassign) change.unassign = true;
  else if (choice.assignee.trim()) change.assignee = choice.assignee.trim();
  const tags = parseTags(choice.addTag);
  if (tags.length) change.addTags = tags;
  return Object.keys(change).length ? change : null;
}

/** "done/total", as the bulk bar shows a job's progress. */
export const progressOf = (job: Pick<BulkJob, 'done' | 'total'>): string => `${job.done}/${job.total}`;
