// The collections the change feed reads and writes, as the feed uses them:
// majority write concern, majority read concern and primary reads,
// whatever MONGODB_URI says. A batch (or a pending mark) that a failover
// could still roll back is never read, so no reader, webhook or subscriber
// passes a position whose contents later change; and a `readPreference`
// in the URI never sends the sequencer or a reader to a secondary.
import type { Collection, CollectionOptions, Db, Document } from 'mongodb';
import type { Model } from 'mongoose';
import type { StoredEvent, StoredTicket } from '../tickets/ticket.mappers';
import { feedHandles } from '../tickets/ticket.store';
import { FeedBatchModel, type FeedBatch } from './feed-batch.model';
import { FeedMetaModel, type FeedMeta } from './feed-meta.model';

export const FEED_CONCERNS: CollectionOptions = {
  readConcern: { level: 'majority' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
};

const handles = new WeakMap<Db, Map<string, Collection>>();

/** The model's collection on its connection, with the feed's concerns (one handle per database). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model: only its collection is used
function withFeedConcerns(model: Model<any>): Collection<Document> {
  const db = model.db.db;
  if (!db) throw new Error('the database is not connected');
  const name = model.collection.collectionName;
  let byName = handles.get(db);
  if (!byName) handles.set(db, (byName = new Map()));
  let handle = byName.get(name);
  if (!handle) byName.set(name, (handle = db.collection(name, FEED_CONCERNS)));
  return handle;
}

export const feedBatches = () => withFeedConcerns(FeedBatchModel) as unknown as Collection<FeedBatch>;
// The tickets' two collections come from their store, with the same concerns.
export const feedEvents = (): Collection<StoredEvent> => feedHandles(FEED_CONCERNS).events;
export const feedTickets = (): Collection<StoredTicket> => feedHandles(FEED_CONCERNS).tickets;
export const feedMeta = () => withFeedConcerns(FeedMetaModel) as unknown as Collection<FeedMeta>;
