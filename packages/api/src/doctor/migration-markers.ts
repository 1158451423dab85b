// Markers of one-time passes over stored data written by older versions
// (collection `schema_migrations`; the respelling of emails here, the audit
// ids' rewrite in customers/): a pass that went through all of it once
// leaves its name, so later starts or rounds skip the scan. Safe with any
// number of processes: a marker is a unique insert, and a second one
// changes nothing.
import { isDuplicateKeyError } from '../errors/duplicate-key';
import { database } from '../db/database';

const markers = () => database().collection<{ _id: string; at: Date }>('schema_migrations');

/** Whether the pass `name` once went through all the data. */
export async function migrationDone(name: string): Promise<boolean> {
  return (await markers().findOne({ _id: name })) !== null;
}

/** Say that the pass `name` went through all the data. */
export async function markMigrationDone(name: string, at: Date): Promise<void> {
  try {
    await markers().insertOne({ _id: name, at });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
}
