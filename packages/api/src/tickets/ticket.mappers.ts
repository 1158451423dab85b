// What tickets and events look like stored, and what readers get of them:
// the one place other capabilities take these shapes and mappers from
// (the feed, webhooks, live, listing, customers' export), so none needs
// ticket.service.ts for its types.
import { sequenceOf } from './event-seq';
import { EventVisibility, TimelineEventKind, visibilityOf } from './ticket.enums';
import type { Ticket } from './ticket.model';
import type { TimelineEvent } from './timeline-event.model';

/** A ticket as stored (the ticket store reads and writes these). */
export type StoredTicket = Omit<Ticket, 'id'>;
/** A timeline event as stored. */
export type StoredEvent = Omit<TimelineEvent, 'id'>;
/** A ticket whose events are numbered (it has a lastSequence). */
export type SequencedTicket = StoredTicket & { lastSequence: number };

/** A ticket as resolvers get it; `timeline` is filled when already known. */
export type TicketView = Ticket & { timeline?: TimelineEventView[]; customerKey?: string };
export type TimelineEventView = TimelineEvent;

const KNOWN_KINDS: ReadonlySet<string> = new Set(Object.values(TimelineEventKind));

/** Search's words stay behind: they are an index, not the ticket. */
export const toTicket = ({ searchWords: _words, ...doc }: StoredTicket): TicketView =>
  ({ ...doc, id: String(doc._id) }) as TicketView;
/** An event as clients get it; who made it only for callers allowed to know. */
export const toEvent = (doc: StoredEvent, withActor = false): TimelineEventView => ({
  ...doc,
  id: String(doc._id),
  sequence: sequenceOf(doc),
  visibility: doc.visibility ?? visibilityOf(doc.kind),
  actor: withActor ? doc.actor : undefined,
});

/** Whether a stored event may reach a public caller (events from before visibility was stored: by kind). */
export const isPublicEvent = (doc: Pick<StoredEvent, 'kind' | 'visibility'>): boolean =>
  (doc.visibility ?? visibilityOf(doc.kind)) === EventVisibility.PUBLIC;

/**
 * The one rule for a timeline: known kinds, in the ticket's own order
 * (`sequence`; events of a ticket not yet numbered: oldest first, ties in
 * creation order). `agent`: a caller with tickets:read, who sees who made
 * each event and the INTERNAL ones; anyone else sees neither.
 */
export function orderedTimeline(events: StoredEvent[], agent: boolean): TimelineEventView[] {
  const bySequence = events.every((e) => e.sequence !== undefined);
  return events
    .filter((e) => KNOWN_KINDS.has(e.kind) && (agent || isPublicEvent(e)))
    .sort(
      (a, b) =>
        (bySequence ? a.sequence! - b.sequence! : 0) ||
        a.at.getTime() - b.at.getTime() ||
        (String(a._id) < String(b._id) ? -1 : 1),
    )
    .map((e) => toEvent(e, agent));
}

/** A ticket as a public caller gets it: nothing of the agents' own business. */
export const publicTicket = (ticket: TicketView): TicketView =>
  ({ ...ticket, assignee: undefined, assignedAt: undefined, tags: undefined, fields: undefined }) as TicketView;
