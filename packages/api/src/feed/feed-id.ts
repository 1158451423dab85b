// The feed's id (feed-meta.model.ts): read each time it is needed (one
// lookup by _id), so every process agrees on it even after the document
// was replaced; made on first use, exactly once however many processes
// start at the same moment (an upsert on a fixed _id).
import { randomBytes } from 'node:crypto';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import { feedMeta } from './feed-collections';
import { FEED_META_ID } from './feed-meta.model';

export async function currentFeedId(): Promise<string> {
  const found = await feedMeta().findOne({ _id: FEED_META_ID });
  if (found) return found.feedId;
  try {
    await feedMeta().updateOne({ _id: FEED_META_ID }, { $setOnInsert: { feedId: randomBytes(8).toString('hex') } }, { upsert: true });
  } catch (err) {
    // Two upserts at once: MongoDB may refuse the loser with a duplicate key; the winner's id stands.
    if (!isDuplicateKeyError(err)) throw err;
  }
  const made = await feedMeta().findOne({ _id: FEED_META_ID });
  if (!made) throw new Error('the change feed has no id');
  return made.feedId;
}
