// Erasures made outside an API process (the CLI) reach the API's
// `tickets_erased_total`: the CLI leaves a tally in `erasure_tallies`, and
// the process holding the sweep's lease takes each one once (a
// conditional delete) and counts it in its own metrics. Summed over the
// API's instances, the metric counts every erasure once.
import { ObjectId } from 'mongodb';
import { CustomerAuditModel } from './customer-audit.model';
import type { ErasureReason } from './erasure.service';

type Tally = { _id: ObjectId; reason: ErasureReason; tickets: number };
// In the database of the capability's own collections.
const tallies = () => CustomerAuditModel.db.collection<Tally>('erasure_tallies');

/** Leave a tally for the API's metrics (the CLI). */
export async function leaveTally(reason: ErasureReason, tickets: number): Promise<void> {
  if (tickets > 0) await tallies().insertOne({ _id: new ObjectId(), reason, tickets });
}

/** Take the tallies left so far, each by one process only; counted by `count`. */
export async function takeTallies(
  count: (reason: ErasureReason, tickets: number) => void,
  limit = 100,
): Promise<number> {
  let taken = 0;
  for (const t of await tallies().find({}).limit(limit).toArray()) {
    if ((await tallies().deleteOne({ _id: t._id })).deletedCount !== 1) continue;
    count(t.reason, t.tickets);
    taken++;
  }
  return taken;
}
