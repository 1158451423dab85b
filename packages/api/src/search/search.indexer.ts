// Keeping the index current in the write path: the tickets' writes call
// `written` (TicketHooks.onWritten) before they answer, so a text is
// findable once its write returns. One insert per write, of entries with
// ids of their own, so writing one twice (a retry, the backfill, two
// processes) changes nothing. An index write that fails does not fail the
// ticket's write (that is done): the ticket goes to the backlog, which the
// background round indexes again.
import type { Types } from 'mongoose';
import { ERASED_TEXT } from '../customers/placeholders';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import type { Logger } from '../logging/logger';
import { EventVisibility, TimelineEventKind, visibilityOf } from '../tickets/ticket.enums';
import { TicketModel } from '../tickets/ticket.model';
import type { StoredEvent, StoredTicket } from '../tickets/ticket.service';
import { TimelineEventModel } from '../tickets/timeline-event.model';
import { terms } from './analyzer';
import { FIELD_WEIGHT } from './field-weights';
import { SearchBacklogModel } from './search-backlog.model';
import { SearchEntryModel, type SearchEntry, type SearchField } from './search-entry.model';

/** Events whose message is not the customer's or the agents' words. */
const NOT_TEXT: ReadonlySet<string> = new Set([TimelineEventKind.ASSIGNED, TimelineEventKind.RENUMBERED, TimelineEventKind.ERASED, 'TAGGED']);

const fieldOfEvent = (kind: string, internal: boolean): SearchField => (kind === TimelineEventKind.RESOLUTION_NOTE ? 'resolution' : internal ? 'note' : 'message');

type TicketTexts = Pick<StoredTicket, '_id' | 'subject' | 'description' | 'customerName'> & { erasedAt?: Date };

/** The entries of a ticket's own texts (none once erased: placeholders are nobody's words). */
export function ticketEntries(ticket: TicketTexts): SearchEntry[] {
  if (ticket.erasedAt) return [];
  const out: SearchEntry[] = [];
  const add = (field: SearchField, text: string | undefined, exact = false) => {
    const t = terms(text);
    if (!t.length) return;
    out.push({ _id: `${field}:${String(ticket._id)}`, ticketId: ticket._id, field, weight: FIELD_WEIGHT[field], terms: t, ...(exact && { exact: t.join(' ') }) });
  };
  add('subject', ticket.subject, true);
  add('name', ticket.customerName);
  add('description', ticket.description);
  return out;
}

/** The entries of events with words in them. */
export function eventEntries(events: readonly StoredEvent[]): SearchEntry[] {
  const out: SearchEntry[] = [];
  for (const e of events) {
    if (!e.message || e.message === ERASED_TEXT || NOT_TEXT.has(e.kind)) continue;
    const t = terms(e.message);
    if (!t.length) continue;
    const internal = (e.visibility ?? visibilityOf(e.kind)) === EventVisibility.INTERNAL;
    const field = fieldOfEvent(e.kind, internal);
    out.push({ _id: `e:${String(e._id)}`, ticketId: e.ticketId, field, weight: FIELD_WEIGHT[field], terms: t, ...(internal && { internal: true }), ...(e.ticketSeq !== undefined && { ticketSeq: e.ticketSeq }) });
  }
  return out;
}

/** Insert, taking an entry already there as written. */
async function insertEntries(entries: SearchEntry[]): Promise<void> {
  if (!entries.length) return;
  try {
    await SearchEntryModel.collection.insertMany(entries as never[], { ordered: false });
  } catch (err) {
    const raw = (err as { writeErrors?: { code?: number } | { code?: number }[] }).writeErrors;
    const writeErrors = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    const onlyDuplicates = writeErrors.length ? writeErrors.every((w) => w.code === 11000 || w.code === 11001) : isDuplicateKeyError(err);
    if (!onlyDuplicates) throw err;
  }
}

export class SearchIndexer {
  constructor(private readonly log: Logger) {}

  /** TicketHooks.onWritten: a ticket was created (`ticket` given) or events were added to it. */
  async written(ticketId: Types.ObjectId, events: readonly StoredEvent[], ticket?: TicketTexts): Promise<void> {
    try {
      await insertEntries([...(ticket ? ticketEntries(ticket) : []), ...eventEntries(events)]);
    } catch (err) {
      this.log.error({ err, ticketId: String(ticketId) }, 'search: index write failed; the ticket is indexed again by the background round');
      await SearchBacklogModel.collection.updateOne({ _id: ticketId }, { $set: { at: new Date() } }, { upsert: true }).catch(() => undefined);
    }
  }

  /** Every text of these tickets, written again (idempotent). */
  async reindex(ticketIds: readonly Types.ObjectId[]): Promise<void> {
    if (!ticketIds.length) return;
    const tickets = await TicketModel.collection.find<TicketTexts>({ _id: { $in: [...ticketIds] } }).toArray();
    const events = await TimelineEventModel.collection.find<StoredEvent>({ ticketId: { $in: [...ticketIds] } }).toArray();
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
