// The words search keeps on each ticket (`searchWords`), as pure functions:
// the distinct folded terms of its texts, those of internal texts (notes)
// marked with INTERNAL_MARK, so one multikey index on the ticket serves
// callers who see internal events and callers who do not. The tickets'
// writes store them in the same statement as the text (TicketHooks.wordsOf).
import { ERASED_TEXT } from '../customers/placeholders';
import { EventVisibility, RECORD_KINDS, TimelineEventKind, visibilityOf } from '../tickets/ticket.enums';
import type { StoredEvent, StoredTicket } from '../tickets/ticket.mappers';
import { MAX_SEARCH_WORDS } from '../tickets/ticket.store';
import { terms } from './analyzer';

/** Before a word of an internal text: `~refund` is found only by callers who see internal events. */
export const INTERNAL_MARK = '~';

/** A ticket's own texts, as search reads them. */
export type TicketTexts = Partial<
  Pick<StoredTicket, 'subject' | 'description' | 'customerName' | 'resolutionNotes'>
> & {
  erasedAt?: Date;
};
/** An event's text, as search reads it. */
export type EventText = Pick<StoredEvent, 'kind' | 'message'> & Partial<Pick<StoredEvent, 'visibility'>>;

/** Whether an event's message is someone's words (not an erased placeholder, not a record of a change). */
export const isText = (e: Pick<StoredEvent, 'kind' | 'message'>): e is typeof e & { message: string } =>
  !!e.message && e.message !== ERASED_TEXT && !RECORD_KINDS.has(e.kind);

const isInternal = (e: EventText): boolean =>
  (e.visibility ?? visibilityOf(e.kind as TimelineEventKind)) === EventVisibility.INTERNAL;

/** A ticket text that is someone's words (an erased ticket's are placeholders: nobody's). */
const own = (ticket: TicketTexts, text: string | null | undefined): string | undefined =>
  ticket.erasedAt || !text || text === ERASED_TEXT ? undefined : text;

/**
 * The words to keep for a ticket's texts (`ticket`: its own; null when only
 * events are added) and these events: distinct, internal ones marked, at
 * most MAX_SEARCH_WORDS.
 */
export function searchWords(ticket: TicketTexts | null, events: readonly EventText[]): string[] {
  const out = new Set<string>();
  if (ticket)
    for (const text of [ticket.subject, ticket.customerName, ticket.description, ticket.resolutionNotes])
      for (const t of terms(own(ticket, text))) out.add(t);
  for (const e of events) {
    if (!isText(e)) continue;
    const mark = isInternal(e) ? INTERNAL_MARK : '';
    for (const t of terms(e.message)) out.add(mark + t);
  }
  // The ticket's own texts first: past the cap, the latest events' words go.
  return [...out].slice(0, MAX_SEARCH_WORDS);
}
