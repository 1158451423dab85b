// Webhooks stored by earlier versions, brought up to date. Idempotent; every
// process runs them at start and now and then while it runs (a rolling
// upgrade: stop the processes of the old version before starting new ones,
// as an old process knows nothing of fences and would send beside a new one).
import { ApiTokenModel } from '../tokens/api-token.model';
import { ENV_AGENT } from '../tokens/scopes';
import { webhooksCollection } from './durable';

/** Given an owner's name only: the token of that name made last before the webhook, or none (admins only see it then). */
export const NO_TOKEN = 'none';

export async function migrateWebhooks(): Promise<{ fenced: number; owned: number }> {
  // Before fenced leases: the new fields (the cursor stays), and the clock-based lease and retry times dropped.
  const res = await webhooksCollection().updateMany(
    { fence: { $exists: false } },
    {
      $set: { fence: 0, epoch: 0, stamp: 'migrated', retryDelayMs: 0, leaseOwner: null },
      $unset: { leaseUntil: '', nextAttemptAt: '' },
    },
  );
  return { fenced: res.modifiedCount, owned: await ownersById() };
}

/** Owners recorded by name only: the token that owned them then, by its unique id. */
async function ownersById(): Promise<number> {
  const named = await webhooksCollection()
    .find({ owner: { $type: 'string' }, ownerId: { $exists: false } })
    .limit(500)
    .toArray();
  let n = 0;
  for (const w of named) {
    const token = await ApiTokenModel.collection
      .find({ name: w.owner, createdAt: { $lte: w.createdAt } })
      .sort({ createdAt: -1 })
      .limit(1)
      .next();
    const ownerId = token ? String(token._id) : w.owner === ENV_AGENT.name ? ENV_AGENT.tokenId : NO_TOKEN;
    const res = await webhooksCollection().updateOne(
      { _id: w._id, ownerId: { $exists: false } },
      { $set: { ownerId } },
    );
    n += res.modifiedCount;
  }
  return n;
}
