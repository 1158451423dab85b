// The feed's id (feed-meta.model.ts): made on first use, exactly once
// however many processes start at the same moment (an upsert on a fixed
// _id), and never changed afterwards (a restored backup keeps it). So a
// process reads it once per database and keeps it; it reads it again only
// when a cursor names another id (`fresh`), in case the document was
// replaced under it (a database emptied and started again).
import { randomBytes } from 'node:crypto';
import type { Collection } from 'mongodb';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import { feedMeta } from './feed-collections';
import { FEED_META_ID, type FeedMeta } from './feed-meta.model';

/** Known ids, by the collection handle (one per database: feed-collections.ts). */
const known = new WeakMap<Collection<FeedMeta>, string>();

export async function currentFeedId(fresh = false): Promise<string> {
  const meta = feedMeta();
  const cached = known.get(meta);
  if (cached && !fresh) return cached;
  const id = await readOrMake(meta);
  known.set(meta, id);
  return id;
}

async function readOrMake(meta: Collection<FeedMeta>): Promise<string> {
  const found = await meta.findOne({ _id: FEED_META_ID });
  if (found) return found.feedId;
  try {
    await meta.updateOne(
      { _id: FEED_META_ID },
      { $setOnInsert: { feedId: randomBytes(8).toString('hex') } },
      { upsert: true },
    );
  } catch (err) {
    // Two upserts at once: MongoDB may refuse the loser with a duplicate key; the winner's id stands.
    if (!isDuplicateKeyError(err)) throw err;
  }
  const made = await meta.findOne({ _id: FEED_META_ID });
  if (!made) throw new Error('the change feed has no id');
  return made.feedId;
}
