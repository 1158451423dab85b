// The Mongoose connection. Fails fast instead of queueing: with the
// database away a request gets SERVICE_UNAVAILABLE after dbTimeoutMs,
// and the driver reconnects by itself when it is back.
import mongoose from 'mongoose';
import type { Logger } from '../logging/logger';
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
 * What db/ needs of a model: its indexes and its collection's name. Each
 * capability lists its models in its own models.ts; the composition root
 * (src/capabilities.ts) hands them all here, so db/ imports none of them.
 */
export interface IndexedModel {
  createIndexes(): Promise<unknown>;
  readonly collection: { readonly collectionName: string };
}

/**
 * Build the indexes of these models. The unique ticketNumber index cannot be built over
 * duplicate numbers left by older software: then say so clearly and keep
 * serving (new tickets are still protected by the collision retry).
 */
export async function ensureIndexes(models: readonly IndexedModel[], log: Logger): Promise<{ healthy: boolean }> {
  let healthy = true;
  for (const model of models) {
    try {
      await model.createIndexes();
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
