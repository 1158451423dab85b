// Search as one piece for the composition roots: the analyser the ticket
// writes call (TicketHooks.wordsOf: the words go onto the ticket in the
// same write), the resolver and its service, the index, the eraser, and
// the background round that gives words to tickets that have none.
import type { Capability } from '../capability';
import type { Logger } from '../logging/logger';
import type { TicketHooks } from '../tickets/ticket.service';
import type { TicketStore } from '../tickets/ticket.store';
import { SearchIndexer } from './search.indexer';
import { searchEraser } from './search-eraser';
import { searchModels } from './models';
import { SearchResolver } from './search.resolver';
import { SearchService } from './search.service';
import { isText, searchWords } from './search-words';

export { searchEraser, searchModels, SearchResolver, SearchService };

/** Backlog rounds this often. */
const ROUND_MS = 10_000;

export interface Search {
  /**
   * TicketHooks.wordsOf. With SEARCH_INDEXING=off a new ticket gets no words and a text
   * drops its ticket's (unindexed tickets are the round's, on a process with indexing on).
   */
  wordsOf: TicketHooks['wordsOf'];
  indexer: SearchIndexer;
  /** The searches themselves (searchTickets, views, bulk changes over a search). */
  service: SearchService;
  start(): void;
  stop(): Promise<void>;
}

export function createSearch(
  log: Logger,
  store: TicketStore,
  { indexing = true }: { indexing?: boolean } = {},
): Search {
  const indexer = new SearchIndexer(log, store);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | null = null;
  const round = () => {
    if (running) return;
    running = indexer
      .indexBacklog()
      .then((n) => n && log.info({ tickets: n }, 'search: words written for tickets that had none'))
      .catch((err) => log.warn({ err }, 'search: backlog round failed; the next one retries'))
      .finally(() => {
        running = null;
      });
  };
  return {
    wordsOf: indexing ? searchWords : (ticket, events) => (ticket || events.some(isText) ? null : []),
    indexer,
    service: new SearchService(store),
    start() {
      if (!indexing) return;
      round();
      timer = setInterval(round, ROUND_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

// Its resolver's service, on every operation's context (built by compose.ts).
declare module '../graphql/context' {
  interface Context {
    /** Searching tickets (search/). */
    search: SearchService;
  }
}

export const searchCapability: Capability = { name: 'search', models: searchModels, resolvers: [SearchResolver] };
