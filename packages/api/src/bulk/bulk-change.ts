// The rules of a bulk change, as pure functions: what a request may ask
// (checked before anything is written, every bad field named), and which
// parts of the change a ticket still needs, from the events this job
// already wrote on it (a job resumed after a crash never applies one twice).
import type { FieldProblem } from '../errors/api-errors';
import { checkTags } from '../fields/field-values';
import { TicketPriority, TicketStatus, TimelineEventKind } from '../tickets/ticket.enums';
import { checkAssignee, checkTicketNumber, type Checked } from '../tickets/ticket.validation';

/** Most tickets one job changes. */
export const MAX_BULK_TICKETS = 5000;

/** A change as asked (BulkChangeInput). */
export interface BulkChangeRaw {
  status?: TicketStatus | null;
  assignee?: string | null;
  unassign?: boolean | null;
  priority?: TicketPriority | null;
  addTags?: readonly string[] | null;
  removeTags?: readonly string[] | null;
}

/** A change as checked and stored with its job: only what it changes. */
export interface BulkChange {
  status?: TicketStatus;
  /** An agent's identifier, or null: unassign. */
  assignee?: string | null;
  priority?: TicketPriority;
  addTags?: string[];
  removeTags?: string[];
}

/** The parts of a change, in the order a ticket gets them (tags first: the one part a ticket may refuse). */
export type Part = 'tags' | 'status' | 'assignee' | 'priority';

/** The events each part writes (a status change to OPEN from a working status writes none). */
const KINDS_OF: Record<Part, readonly TimelineEventKind[]> = {
  tags: [TimelineEventKind.TAGGED],
  status: [
    TimelineEventKind.REOPENED,
    TimelineEventKind.IN_PROGRESS,
    TimelineEventKind.WAITING_ON_CUSTOMER,
    TimelineEventKind.RESOLVED,
    TimelineEventKind.CLOSED,
  ],
  assignee: [TimelineEventKind.ASSIGNED],
  priority: [TimelineEventKind.PRIORITY_CHANGED],
};

const inEnum = <T extends string>(values: Record<string, T>, v: unknown): v is T =>
  Object.values(values).includes(v as T);

/** Tags checked as updateTicketFields checks them, the problems named under `field`. */
function tagsUnder(field: string, raw: readonly string[]): Checked<string[]> {
  const checked = checkTags(raw);
  if (checked.ok) return checked;
  return { ok: false, problems: checked.problems.map((p) => ({ ...p, field: p.field.replace(/^tags/, field) })) };
}

/** The change, or every problem with it (fields `change.<name>`; nothing to change: `change`). */
export function checkChange(raw: BulkChangeRaw | null | undefined): Checked<BulkChange> {
  const problems: FieldProblem[] = [];
  const change: BulkChange = {};
  const r = raw ?? {};
  if (r.status !== null && r.status !== undefined) {
    if (inEnum(TicketStatus, r.status)) change.status = r.status;
    else problems.push({ field: 'change.status', message: `must be one of ${Object.values(TicketStatus).join(', ')}` });
  }
  if (r.priority !== null && r.priority !== undefined) {
    if (inEnum(TicketPriority, r.priority)) change.priority = r.priority;
    else
      problems.push({
        field: 'change.priority',
        message: `must be one of ${Object.values(TicketPriority).join(', ')}`,
      });
  }
  const hasAssignee = r.assignee !== null && r.assignee !== undefined;
  if (hasAssignee && r.unassign)
    problems.push({ field: 'change.unassign', message: 'cannot be combined with change.assignee' });
  else if (hasAssignee) {
    const a = checkAssignee(r.assignee!, 'change.assignee');
    if (a.ok) change.assignee = a.value;
    else problems.push(...a.problems);
  } else if (r.unassign) change.assignee = null;
  for (const key of ['addTags', 'removeTags'] as const) {
    const list = r[key];
    if (!list?.length) continue;
    const t = tagsUnder(`change.${key}`, list);
    if (t.ok) change[key] = t.value;
    else problems.push(...t.problems);
  }
  const both = change.addTags?.filter((t) => change.removeTags?.includes(t)) ?? [];
  if (both.length)
    problems.push({ field: 'change.removeTags', message: `names tags change.addTags adds: ${both.join(', ')}` });
  if (!problems.length && !Object.keys(change).length)
    problems.push({
      field: 'change',
      message: 'must change something: status, assignee, unassign, priority, addTags or removeTags',
    });
  return problems.length ? { ok: false, problems } : { ok: true, value: change };
}

/** Which tickets: exactly one of a list of numbers and a view. */
export function checkSource(
  ticketNumbers: readonly string[] | null | undefined,
  viewId: string | null | undefined,
): FieldProblem[] {
  const hasList = ticketNumbers !== null && ticketNumbers !== undefined;
  const hasView = viewId !== null && viewId !== undefined;
  if (hasList === hasView) {
    const message = 'give exactly one of ticketNumbers and viewId';
    return [
      { field: 'ticketNumbers', message },
      { field: 'viewId', message },
    ];
  }
  return [];
}

/** The numbers, normalised, each once, in the order given; 1 to MAX_BULK_TICKETS of them. */
export function checkTicketNumbers(raw: readonly string[]): Checked<string[]> {
  if (!raw.length)
    return { ok: false, problems: [{ field: 'ticketNumbers', message: 'must name at least one ticket' }] };
  if (raw.length > MAX_BULK_TICKETS)
    return {
      ok: false,
      problems: [
        { field: 'ticketNumbers', message: `at most ${MAX_BULK_TICKETS} tickets per job (got ${raw.length})` },
      ],
    };
  const problems: FieldProblem[] = [];
  const numbers = new Set<string>();
  raw.forEach((n, i) => {
    const checked = checkTicketNumber(n, `ticketNumbers[${i}]`);
    if (checked.ok) numbers.add(checked.value);
    else problems.push(...checked.problems);
  });
  return problems.length ? { ok: false, problems } : { ok: true, value: [...numbers] };
}

/** The parts of the change this ticket still needs: those whose events this job has not written on it. */
export function partsLeft(change: BulkChange, doneKinds: ReadonlySet<string>): Part[] {
  const asked: Part[] = [];
  if (change.addTags || change.removeTags) asked.push('tags');
  if (change.status) asked.push('status');
  if (change.assignee !== undefined) asked.push('assignee');
  if (change.priority) asked.push('priority');
  return asked.filter((part) => !KINDS_OF[part].some((k) => doneKinds.has(k)));
}
