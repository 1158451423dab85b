// What the ticket rules tell the rest of the process about, and ask of it:
// the change feed and metrics hear of writes, search/ gives a text's words.
import type { StoredTicket } from './ticket.mappers';
import type { NewEvent } from './ticket-events';

export interface TicketHooks {
  /** Timeline events were written. */
  onEvents?(): void;
  /** A ticket was created. */
  onCreated?(): void;
  /** A ticket number collided and was absorbed (the counter was behind the data). */
  onCollision?(): void;
  /**
   * search/'s words of a new ticket's texts (`ticket`) or of events' texts:
   * stored on the ticket in the same write. null: texts whose words are not
   * computed here, so the ticket's words are dropped (its indexing round does it whole).
   */
  wordsOf?(
    ticket: Pick<StoredTicket, 'subject' | 'description' | 'customerName'> | null,
    events: readonly NewEvent[],
  ): string[] | null;
}
