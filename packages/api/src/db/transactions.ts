// Multi-document transactions, used only where the engine really has them.
// "Has them" is decided by behaviour, not by the absence of an error: an
// engine may accept startTransaction and abortTransaction and still keep
// the aborted writes. A real MongoDB replica set (or Atlas) passes; a
// standalone mongod refuses the commands; either way the answer is clear.
import { MongoServerError, ObjectId, type Collection, type Db, type MongoClient } from 'mongodb';

/** What the probe saw. */
export interface TransactionProbe {
  /** A write inside an open transaction could be read from outside it. */
  uncommittedVisible: boolean;
  /** A write of an aborted transaction was still there afterwards. */
  abortedVisible: boolean;
  /** A committed write could be read afterwards. */
  committedVisible: boolean;
  /**
   * Two open transactions inserting the same unique key: the first commits
   * and the second fails with a server error (MongoDB: a write conflict at
   * the insert), never both, never a dropped connection.
   */
  conflictHandled: boolean;
  /** The engine refused a transaction command (standalone mongod, say). */
  error?: string;
}

/** The one rule: isolated until commit, gone after abort, there after commit, conflicts refused, no errors. */
export function transactionsWork(p: TransactionProbe): boolean {
  return !p.error && !p.uncommittedVisible && !p.abortedVisible && p.committedVisible && p.conflictHandled;
}

const PROBE_COLLECTION = 'engine_probe';
type ProbeDoc = { _id: ObjectId; key?: string };

/** Try a transaction that is aborted and one that is committed, and look at what stayed. */
export async function probeTransactions(client: MongoClient, db: Db): Promise<TransactionProbe> {
  const probe = db.collection<ProbeDoc>(PROBE_COLLECTION);
  const aborted = new ObjectId();
  const committed = new ObjectId();
  const rivals = [new ObjectId(), new ObjectId()];
  const seen: TransactionProbe = {
    uncommittedVisible: false,
    abortedVisible: false,
    committedVisible: false,
    conflictHandled: false,
  };
  const session = client.startSession();
  try {
    // Collections and indexes are made outside transactions (inside needs MongoDB 4.4+).
    await probe.createIndex({ key: 1 }, { unique: true, sparse: true, name: 'probe_key' });
    await probe.insertOne({ _id: aborted });
    await probe.deleteOne({ _id: aborted });
    session.startTransaction();
    await probe.insertOne({ _id: aborted }, { session });
    seen.uncommittedVisible = (await probe.countDocuments({ _id: aborted })) > 0;
    await session.abortTransaction();
    seen.abortedVisible = (await probe.countDocuments({ _id: aborted })) > 0;
    session.startTransaction();
    await probe.insertOne({ _id: committed }, { session });
    await session.commitTransaction();
    seen.committedVisible = (await probe.countDocuments({ _id: committed })) > 0;
    seen.conflictHandled = await conflictRefused(client, probe, rivals);
  } catch (err) {
    seen.error = (err as Error).message?.slice(0, 200) || String(err);
    if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
  } finally {
    await session.endSession().catch(() => undefined);
    await probe.deleteMany({ _id: { $in: [aborted, committed, ...rivals] } }).catch(() => undefined);
  }
  return seen;
}

/** Two transactions insert one unique key: true when exactly the first commits and the second meets a server error. */
async function conflictRefused(
  client: MongoClient,
  probe: Collection<ProbeDoc>,
  [first, second]: ObjectId[],
): Promise<boolean> {
  const key = new ObjectId().toHexString();
  const a = client.startSession();
  const b = client.startSession();
  try {
    a.startTransaction();
    b.startTransaction();
    await probe.insertOne({ _id: first, key }, { session: a });
    let refused = false;
    try {
      await probe.insertOne({ _id: second, key }, { session: b });
    } catch (err) {
      refused = err instanceof MongoServerError;
    }
    await a.commitTransaction();
    if (refused) {
      await b.abortTransaction().catch(() => undefined);
      return true;
    }
    try {
      await b.commitTransaction();
      return false; // both committed one unique key
    } catch (err) {
      return err instanceof MongoServerError;
    }
  } catch {
    return false;
  } finally {
    for (const s of [a, b]) {
      if (s.inTransaction()) await s.abortTransaction().catch(() => undefined);
      await s.endSession().catch(() => undefined);
    }
  }
}
