// The Mongoose connection. Fails fast instead of queueing: with the
// database away a request gets SERVICE_UNAVAILABLE after dbTimeoutMs,
// and the driver reconnects by itself when it is back.
import mongoose from 'mongoose';
import type { Collection, CreateIndexesOptions } from 'mongodb';
import type { Logger } from '../logging/logger';
import { indexesToRequest, type DeclaredIndex, type ListedIndex } from './index-diff';
import { installRequestComments } from './request-comment';

mongoose.set('strictQuery', true);
// Collections come into being on first insert; explicit `create` is not needed.
mongoose.set('autoCreate', false);
mongoose.set('autoIndex', false);
mongoose.set('bufferCommands', false);
// Each command a request sends names the request (its `comment`).
installRequestComments();

export async function connectDatabase(uri: string, timeoutMs: number, dbName?: string): Promise<typeof mongoose> {
  return mongoose.connect(uri, {
    dbName,
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    // A socket that stays silent this long is dead, not slow.
    socketTimeoutMS: Math.max(10_000, timeoutMs * 4),
    heartbeatFrequencyMS: 2_000,
  });
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}

/** True when the database answers a ping within `timeoutMs`. */
export async function pingDatabase(timeoutMs: number): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db || mongoose.connection.readyState !== 1) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      db
        .admin()
        .ping()
        .then(
          () => true,
          () => false,
        ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What db/ needs of a model: the indexes it declares (Mongoose's
 * `schema.indexes()`: key and options), a way to build some of them, and
 * its collection. Each capability lists its models in its own models.ts;
 * the composition root (src/capabilities.ts) hands them all here, so db/
 * imports none of them. `ticketIndexes` (tickets/) gives the same for
 * plain specs.
 */
export interface IndexedModel {
  readonly schema: { indexes(): ReadonlyArray<readonly [unknown, unknown]> };
  /** Builds these [key, options] pairs (or, without them, every declared index). Mongoose reads `toCreate` though its types do not list it. */
  createIndexes(options?: CreateIndexesOptions & { toCreate?: unknown[] }): Promise<unknown>;
  readonly collection: { readonly collectionName: string };
}

/** The indexes a collection has (asked of the primary); none when it does not exist yet. */
async function listIndexes(collection: IndexedModel['collection']): Promise<ListedIndex[]> {
  try {
    return (await (collection as Collection).listIndexes({ readPreference: 'primary' }).toArray()) as ListedIndex[];
  } catch (err) {
    if ((err as { codeName?: string }).codeName === 'NamespaceNotFound') return [];
    throw err;
  }
}

/**
 * Ask the database for the indexes of these models it may lack
 * (db/index-diff.ts: every unique one, and those not listed), one listing
 * per model. The unique ticketNumber index cannot be built over duplicate
 * numbers left by older software: then say so clearly and keep serving
 * (new tickets are still protected by the collision retry).
 */
export async function ensureIndexes(models: readonly IndexedModel[], log: Logger): Promise<{ healthy: boolean }> {
  let healthy = true;
  for (const model of models) {
    try {
      const declared = model.schema.indexes().map(([key, options]) => ({ key, options }) as DeclaredIndex);
      const toCreate = indexesToRequest(declared, await listIndexes(model.collection));
      if (toCreate.length > 0) await model.createIndexes({ toCreate: toCreate.map((d) => [d.key, d.options]) });
    } catch (err) {
      healthy = false;
      log.error(
        { collection: model.collection.collectionName, reason: (err as Error).message?.slice(0, 200) },
        `cannot build the indexes of "${model.collection.collectionName}" (existing data breaks a unique index?): run \`npm run doctor -- --fix\` with MONGODB_URI set; serving anyway`,
      );
    }
  }
  return { healthy };
}
