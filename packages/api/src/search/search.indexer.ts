// Keeping the index current in the write path: the tickets' writes call
// `written` (TicketHooks.onWritten) before they answer, so a text is
// findable once its write returns. One insert per write, of postings with
// ids of their own, so writing one twice (a retry, the backfill, two
// processes) changes nothing. An index write that fails does not fail the
// ticket's write (that is done): the ticket goes to the backlog, which the
// background round indexes again.
import type { Types } from 'mongoose';
import { ERASED_TEXT } from '../customers/placeholders';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import type { Logger } from '../logging/logger';
import { EventVisibility, TimelineEventKind, visibilityOf } from '../tickets/ticket.enums';
import type { StoredEvent, StoredTicket } from '../tickets/ticket.mappers';
import type { TicketStore } from '../tickets/ticket.store';
import { terms } from './analyzer';
import { EXACT_SUBJECT_BONUS, FIELD_WEIGHT } from './field-weights';
import { SearchBacklogModel } from './search-backlog.model';
import { SearchTermModel, type SearchField, type SearchTerm } from './search-term.model';

/** Events whose message is not the customer's or the agents' words. */
const NOT_TEXT: ReadonlySet<string> = new Set([
  TimelineEventKind.ASSIGNED,
  TimelineEventKind.RENUMBERED,
  TimelineEventKind.ERASED,
  'TAGGED',
]);

const fieldOfEvent = (kind: string, internal: boolean): SearchField =>
  kind === TimelineEventKind.RESOLUTION_NOTE ? 'resolution' : internal ? 'note' : 'message';

type TicketTexts = Pick<StoredTicket, '_id' | 'subject' | 'description' | 'customerName'> & { erasedAt?: Date };

/** One posting per distinct word of a text. */
function postings(
  textId: string,
  ticketId: Types.ObjectId,
  words: readonly string[],
  weight: number,
  extra: Partial<SearchTerm> = {},
): SearchTerm[] {
  return [...new Set(words)].map((term) => ({ _id: `${textId}|${term}`, term, ticketId, weight, ...extra }));
}

/** The postings of a ticket's own texts (none once erased: placeholders are nobody's words). */
export function ticketEntries(ticket: TicketTexts): SearchTerm[] {
  if (ticket.erasedAt) return [];
  const out: SearchTerm[] = [];
  const add = (field: SearchField, text: string | undefined) => {
    const t = terms(text);
    out.push(...postings(`${field}:${String(ticket._id)}`, ticket._id, t, FIELD_WEIGHT[field]));
    // The subject as one key: a query that is the subject, word for word, finds it with the bonus.
    if (field === 'subject' && t.length)
      out.push({
        _id: `subject:${String(ticket._id)}|=`,
        term: exactKey(t),
        ticketId: ticket._id,
        weight: EXACT_SUBJECT_BONUS,
      });
  };
  add('subject', ticket.subject);
  add('name', ticket.customerName);
  add('description', ticket.description);
  return out;
}

/** The key of a whole subject (cut so it stays a short index key). */
export const exactKey = (words: readonly string[]): string => `=${words.join(' ')}`.slice(0, 200);

/** The postings of events with words in them. */
export function eventEntries(events: readonly StoredEvent[]): SearchTerm[] {
  const out: SearchTerm[] = [];
  for (const e of events) {
    if (!isText(e)) continue;
    const internal = (e.visibility ?? visibilityOf(e.kind)) === EventVisibility.INTERNAL;
    const field = fieldOfEvent(e.kind, internal);
    out.push(
      ...postings(`e:${String(e._id)}`, e.ticketId, terms(e.message), FIELD_WEIGHT[field], {
        ...(internal && { internal: true }),
        ...(e.sequence !== undefined && { sequence: e.sequence }),
      }),
    );
  }
  return out;
}

/** Whether an event's message is someone's words (not an erased placeholder, not a record of a change). */
export const isText = (e: Pick<StoredEvent, 'kind' | 'message'>): e is typeof e & { message: string } =>
  !!e.message && e.message !== ERASED_TEXT && !NOT_TEXT.has(e.kind);

/** Insert, taking a posting already there as written. */
async function insertEntries(entries: SearchTerm[]): Promise<void> {
  if (!entries.length) return;
  try {
    await SearchTermModel.collection.insertMany(entries as never[], { ordered: false });
  } catch (err) {
    const raw = (err as { writeErrors?: { code?: number } | { code?: number }[] }).writeErrors;
    const writeErrors = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    const onlyDuplicates = writeErrors.length
      ? writeErrors.every((w) => w.code === 11000 || w.code === 11001)
      : isDuplicateKeyError(err);
    if (!onlyDuplicates) throw err;
  }
}

export class SearchIndexer {
  constructor(
    private readonly log: Logger,
    private readonly store: TicketStore,
  ) {}

  /** TicketHooks.onWritten: a ticket was created (`ticket` given) or events were added to it. */
  async written(ticketId: Types.ObjectId, events: readonly StoredEvent[], ticket?: TicketTexts): Promise<void> {
    try {
      await insertEntries([...(ticket ? ticketEntries(ticket) : []), ...eventEntries(events)]);
    } catch (err) {
      this.log.error(
        { err, ticketId: String(ticketId) },
        'search: index write failed; the ticket is indexed again by the background round',
      );
      await SearchBacklogModel.collection
        .updateOne({ _id: ticketId }, { $set: { at: new Date() } }, { upsert: true })
        .catch(() => undefined);
    }
  }

  /** Every text of these tickets, written again (idempotent). */
  async reindex(ticketIds: readonly Types.ObjectId[]): Promise<void> {
    if (!ticketIds.length) return;
    const tickets = await this.store.find<TicketTexts>({ _id: { $in: [...ticketIds] } });
    const events = await this.store.eventsOf(ticketIds);
    await insertEntries([...tickets.flatMap((t) => ticketEntries(t)), ...eventEntries(events)]);
  }

  /** One round over the backlog: how many tickets it indexed. */
  async drainBacklog(limit = 200): Promise<number> {
    const due = await SearchBacklogModel.collection.find<{ _id: Types.ObjectId; at: Date }>({}).limit(limit).toArray();
    if (!due.length) return 0;
    await this.reindex(due.map((d) => d._id));
    // Only the marks read: a write that failed meanwhile has a newer `at` and stays.
    for (const d of due) await SearchBacklogModel.collection.deleteOne({ _id: d._id, at: d.at });
    return due.length;
  }
}
