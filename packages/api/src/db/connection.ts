// The Mongoose connection. Fails fast instead of queueing: with the
// database away a request gets SERVICE_UNAVAILABLE after dbTimeoutMs,
// and the driver reconnects by itself when it is back.
import mongoose from 'mongoose';
import type { Collection, CreateIndexesOptions } from 'mongodb';
import type { Logger } from '../logging/logger';
import type { ListedIndex } from './index-diff';
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
 * What db/ needs of a model: the indexes it declares that its collection
 * lacks, a way to build them, and its collection's name. Each capability
 * lists its models in its own models.ts; the composition root
 * (src/capabilities.ts) hands them all here, so db/ imports none of them.
 * Mongoose models have both methods (`syncIndexes` uses them the same way);
 * `ticketIndexes` (tickets/) gives the same two for plain specs.
 */
export interface IndexedModel {
  diffIndexes(options: { indexOptionsToCreate: true }): Promise<{ toCreate: unknown[] }>;
  /** Builds these (or, without them, every declared index). Mongoose reads `toCreate` though its types do not list it. */
  createIndexes(options?: CreateIndexesOptions & { toCreate?: unknown[] }): Promise<unknown>;
  readonly collection: { readonly collectionName: string };
}

/** The indexes a collection has; none when it does not exist yet. */
export async function listIndexes(collection: Collection): Promise<ListedIndex[]> {
  try {
    return (await collection.listIndexes().toArray()) as ListedIndex[];
  } catch (err) {
    if ((err as { codeName?: string }).codeName === 'NamespaceNotFound') return [];
    throw err;
  }
}

/**
 * Build the indexes of these models that the database lacks (one listing
 * per model, then only the missing ones: a restart over a large collection
 * on the embedded engine would otherwise re-check every unique index once
 * per declared index). The unique ticketNumber index cannot be built over
 * duplicate numbers left by older software: then say so clearly and keep
 * serving (new tickets are still protected by the collision retry).
 */
export async function ensureIndexes(models: readonly IndexedModel[], log: Logger): Promise<{ healthy: boolean }> {
  let healthy = true;
  for (const model of models) {
    try {
      const { toCreate } = await model.diffIndexes({ indexOptionsToCreate: true });
      if (toCreate.length > 0) await model.createIndexes({ toCreate });
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
