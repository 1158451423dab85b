// Listing tickets for integrators: filters, three orders, keyset pages.
// A page continues strictly after the last (createdAt, _id) seen, so
// tickets created during a walk never shift or repeat the ones that
// matched when it began. Every filter has an index (see docs/tokens-and-feed.md).
import { Types } from 'mongoose';
import { badUserInput, type FieldProblem } from '../errors/api-errors';
import { decodeDueCursor, duePage } from '../sla/due-order';
import { fieldsFilter } from '../fields/filter';
import { toTicket, type StoredTicket } from '../tickets/ticket.mappers';
import { TicketStore } from '../tickets/ticket.store';
import { checkAssignee, checkEmail } from '../tickets/ticket.validation';
import { decodeCursor, encodeCursor } from './cursor';
import type { TicketConnection } from './ticket-connection.type';
import { TicketOrder, type TicketFilter } from './ticket-filter.input';

export const PAGE_SIZE = { min: 1, max: 100 } as const;

/** The MongoDB filter for a TicketFilter, or every problem with it. */
export function filterQuery(
  filter: TicketFilter | null | undefined,
): { query: Record<string, unknown> } | { problems: FieldProblem[] } {
  const query: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  if (!filter) return { query };
  for (const field of ['status', 'priority', 'source'] as const) {
    const values: readonly string[] | null | undefined = filter[field];
    if (values === null || values === undefined) continue;
    if (!values.length)
      problems.push({ field: `filter.${field}`, message: 'must list at least one value (leave it out to match all)' });
    else query[field] = { $in: [...new Set(values)] };
  }
  if (filter.customerEmail !== null && filter.customerEmail !== undefined) {
    const email = checkEmail(filter.customerEmail, 'filter.customerEmail');
    if (email.ok) query.customerEmail = email.value;
    else problems.push(...email.problems);
  }
  const created: Record<string, Date> = {};
  if (filter.createdAfter) created.$gte = filter.createdAfter;
  if (filter.createdBefore) created.$lt = filter.createdBefore;
  if (Object.keys(created).length) query.createdAt = created;
  if (filter.updatedAfter) query.updatedAt = { $gte: filter.updatedAfter };
  const hasAssignee = filter.assignee !== null && filter.assignee !== undefined;
  const hasUnassigned = filter.unassigned !== null && filter.unassigned !== undefined;
  if (hasAssignee && hasUnassigned)
    problems.push({ field: 'filter.unassigned', message: 'cannot be combined with filter.assignee' });
  else if (hasAssignee) {
    const assignee = checkAssignee(filter.assignee!, 'filter.assignee');
    if (assignee.ok) query.assignee = assignee.value;
    else problems.push(...assignee.problems);
  } else if (hasUnassigned) query.assignee = filter.unassigned ? null : { $type: 'string' };
  if (filter.breached !== null && filter.breached !== undefined)
    query.slaBreached = filter.breached ? true : { $ne: true };
  const organised = fieldsFilter(filter);
  problems.push(...organised.problems);
  if (organised.query.length) query.$and = organised.query;
  return problems.length ? { problems } : { query };
}

export class ListingService {
  /** The tickets' store (compose.ts hands the process's own; views/ still builds its own). */
  constructor(private readonly store: TicketStore = new TicketStore()) {}

  async list(
    filter: TicketFilter | null | undefined,
    order: TicketOrder,
    first: number,
    after: string | null | undefined,
  ): Promise<TicketConnection> {
    const problems: FieldProblem[] = [];
    const built = filterQuery(filter);
    if ('problems' in built) problems.push(...built.problems);
    if (!Number.isInteger(first) || first < PAGE_SIZE.min || first > PAGE_SIZE.max)
      problems.push({ field: 'first', message: `must be from ${PAGE_SIZE.min} to ${PAGE_SIZE.max}` });
    const due = order === TicketOrder.DUE_ASC;
    const position = after === null || after === undefined || due ? null : decodeCursor(order, after);
    const duePosition = after === null || after === undefined || !due ? null : decodeDueCursor(after);
    if (after !== null && after !== undefined && !position && !duePosition)
      problems.push({
        field: 'after',
        message: 'is not a cursor of this listing (use an endCursor or edge cursor it returned, with the same orderBy)',
      });
    if (problems.length || 'problems' in built) throw badUserInput(problems);
    if (due) {
      const read = await duePage(this.store, built.query, first, duePosition);
      const edges = read.docs.slice(0, first).map((d) => ({ cursor: read.cursorOf(d), node: toTicket(d) }));
      return {
        edges,
        pageInfo: {
          hasNextPage: read.docs.length > first,
          hasPreviousPage: false,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
        query: built.query,
      };
    }

    const dir = order === TicketOrder.CREATED_ASC ? 1 : -1;
    const key = order === TicketOrder.UPDATED_DESC ? 'updatedAt' : 'createdAt';
    const beyond = dir === 1 ? '$gt' : '$lt';
    const page = position
      ? {
          $and: [
            built.query,
            {
              $or: [
                { [key]: { [beyond]: position.createdAt } },
                { [key]: position.createdAt, _id: { [beyond]: new Types.ObjectId(position.id) } },
              ],
            },
          ],
        }
      : built.query;
    // Search's words stay in the database (an index, not the ticket).
    const docs = await this.store.find<StoredTicket>(page, {
      sort: { [key]: dir, _id: dir },
      limit: first + 1,
      projection: { searchWords: 0 },
    });
    const edges = docs
      .slice(0, first)
      .map((d) => ({ cursor: encodeCursor(order, { createdAt: d[key], id: String(d._id) }), node: toTicket(d) }));
    return {
      edges,
      pageInfo: {
        hasNextPage: docs.length > first,
        hasPreviousPage: false,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
      query: built.query,
    };
  }

  count(query: Record<string, unknown>): Promise<number> {
    return this.store.count(query);
  }
}
