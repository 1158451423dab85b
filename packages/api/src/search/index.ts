// Search as one piece for the composition roots: the hook the ticket writes
// call (TicketHooks.onWritten), the resolver and its service, the models,
// the eraser, and the background round that indexes the backlog (failed
// index writes, and tickets written before search existed).
import type { Capability } from '../capability';
import type { Types } from 'mongoose';
import type { Logger } from '../logging/logger';
import type { StoredEvent, StoredTicket } from '../tickets/ticket.mappers';
import type { TicketStore } from '../tickets/ticket.store';
import { SearchBacklogModel } from './search-backlog.model';
import { SearchIndexer } from './search.indexer';
import { searchEraser } from './search-eraser';
import { SearchTermModel } from './search-term.model';
import { searchModels } from './models';
import { SearchResolver } from './search.resolver';
import { SearchService } from './search.service';

export { searchEraser, searchModels, SearchResolver, SearchService };

/** Backlog rounds this often. */
const ROUND_MS = 10_000;

export interface Search {
  /** TicketHooks.onWritten. */
  onWritten(ticketId: Types.ObjectId, events: readonly StoredEvent[], ticket?: StoredTicket): Promise<void>;
  indexer: SearchIndexer;
  /** The searches themselves (searchTickets, views, bulk changes over a search). */
  service: SearchService;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Tickets written before search existed: when the index is empty and
 * tickets are not, every ticket goes to the backlog once (ids only; the
 * rounds index them a batch at a time, on whichever processes run).
 */
async function queueUnindexed(store: TicketStore): Promise<number> {
  if (await SearchTermModel.collection.findOne({})) return 0;
  let queued = 0;
  const at = new Date();
  for await (const t of store.each<{ _id: Types.ObjectId }>({ erasedAt: { $exists: false } }, { _id: 1 })) {
    await SearchBacklogModel.collection.updateOne({ _id: t._id }, { $setOnInsert: { at } }, { upsert: true });
    queued++;
  }
  return queued;
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
      .drainBacklog()
      .then((n) => n && log.info({ tickets: n }, 'search: backlog indexed'))
      .catch((err) => log.warn({ err }, 'search: backlog round failed; the next one retries'))
      .finally(() => {
        running = null;
      });
  };
  return {
    onWritten: indexing ? (ticketId, events, ticket) => indexer.written(ticketId, events, ticket) : async () => {},
    indexer,
    service: new SearchService(store),
    start() {
      if (!indexing) return;
      running = queueUnindexed(store)
        .then((n) => n && log.info({ tickets: n }, 'search: tickets from before search queued for indexing'))
        .catch((err) => log.warn({ err }, 'search: could not queue existing tickets'))
        .finally(() => {
          running = null;
        });
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
