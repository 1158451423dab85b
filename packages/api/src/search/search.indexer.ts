// Words for tickets that have none: written before this version (or by a
// process with SEARCH_INDEXING=off). A background round on any process
// takes a bounded page of them and writes each one's words, computed from
// all its texts, with the tickets' compare-and-set: only while the ticket
// is as read and still without words, so two processes doing the same
// ticket, or a reply landing meanwhile, never lose a word. The same
// recomputation serves erasure's late texts (search-eraser.ts).
import type { Types } from 'mongoose';
import type { Logger } from '../logging/logger';
import type { StoredEvent, StoredTicket } from '../tickets/ticket.mappers';
import { casBackoffMs, MAX_CAS_ATTEMPTS, type TicketStore } from '../tickets/ticket.store';
import { searchWords } from './search-words';

/** Tickets one round gives words to at most. */
export const BACKLOG_PAGE = 200;

/** Whether every number up to `last` has its event (or its stand-in): a change that took one may not have written it yet. */
export function allLanded(events: readonly Pick<StoredEvent, 'sequence'>[], last: number): boolean {
  const seen = new Set(events.map((e) => e.sequence));
  for (let n = 1; n <= last; n++) if (!seen.has(n)) return false;
  return true;
}

const sameWords = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
  !!a && a.length === b.length && new Set([...a, ...b]).size === b.length;

/**
 * Write a ticket's words again from all its texts, while it still matches
 * `expect` and nobody made events since it was read (retried after a lost
 * compare-and-set). 'written', 'unchanged' (they were right already),
 * or 'skipped': gone, not matching, or an event of it not landed yet (a
 * later round does it).
 */
export async function rewriteWords(
  store: TicketStore,
  ticketId: Types.ObjectId,
  expect: Record<string, unknown>,
  wanted: (t: StoredTicket & { erasedAt?: Date }) => boolean = () => true,
): Promise<'written' | 'unchanged' | 'skipped'> {
  for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
    const found = await store.byId(ticketId);
    if (!found || !wanted(found)) return 'skipped';
    const ticket = await store.sequenced(found);
    const events = await store.eventsOf([ticketId]);
    if (!allLanded(events, ticket.lastSequence)) return 'skipped';
    // In the order they were written: past the cap, the latest texts' words are the ones left out.
    const words = searchWords(
      ticket,
      [...events].sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0)),
    );
    if (sameWords(ticket.searchWords, words)) return 'unchanged';
    if (await store.compareAndSet(ticket, { expect, set: { searchWords: words }, events: 0 })) return 'written';
    await new Promise((r) => setTimeout(r, casBackoffMs(attempt)));
  }
  return 'skipped';
}

export class SearchIndexer {
  constructor(
    private readonly log: Logger,
    private readonly store: TicketStore,
  ) {}

  /** One round: tickets without words get them, at most `limit`; how many did. */
  async indexBacklog(limit = BACKLOG_PAGE): Promise<number> {
    const unindexed = { searchWords: { $exists: false }, erasedAt: { $exists: false } };
    const due = await this.store.find<{ _id: Types.ObjectId }>(unindexed, { projection: { _id: 1 }, limit });
    let indexed = 0;
    for (const { _id } of due) {
      const done = await rewriteWords(this.store, _id, unindexed, (t) => !t.searchWords && !t.erasedAt).catch((err) => {
        this.log.warn({ err, ticketId: String(_id) }, 'search: could not index a ticket; the next round retries');
        return 'skipped';
      });
      if (done === 'written') indexed++;
    }
    return indexed;
  }
}
