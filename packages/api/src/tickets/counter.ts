// The one source of ticket numbers: an atomic counter document.
// `$inc` in a single findOneAndUpdate is atomic on MongoDB, so concurrent
// callers, in one process or many, never get the same value. The embedded
// engine may hand one caller another's value: the unique index on ticket
// numbers refuses the second insert and the create takes the next number
// (ticket-creation.ts), so a number is never issued twice anywhere.
import { CounterModel } from './counter.model';

export const TICKET_COUNTER = 'ticketNumber';

export async function nextSequence(name: string = TICKET_COUNTER): Promise<number> {
  // Straight to the driver: one command on every create, with nothing for
  // Mongoose to cast (its query layer cost more than the command, per bench).
  const counter = await CounterModel.collection.findOneAndUpdate(
    { _id: name as never },
    { $inc: { seq: 1 } },
    { upsert: true, returnDocument: 'after' },
  );
  if (!counter) throw new Error(`counter ${name} did not return a value`);
  return counter.seq as number;
}

/**
 * Take `count` numbers at once: the block (last - count, last]. For bulk
 * repairs, whose writes no unique index checks number by number: so a
 * compare-and-set (a conditional updateOne, or the insert of the counter),
 * whose block no engine can hand to two callers.
 */
export async function reserveSequences(
  count: number,
  name: string = TICKET_COUNTER,
): Promise<{ first: number; last: number }> {
  const counters = CounterModel.collection;
  for (let attempt = 1; ; attempt++) {
    const current = await counters.findOne({ _id: name as never });
    if (!current) {
      try {
        await counters.insertOne({ _id: name as never, seq: count });
        return { first: 1, last: count };
      } catch (err) {
        if ((err as { code?: number }).code !== 11000) throw err;
        continue;
      }
    }
    const seq = current.seq as number;
    const res = await counters.updateOne({ _id: name as never, seq }, { $set: { seq: seq + count } });
    if (res.matchedCount === 1) return { first: seq + 1, last: seq + count };
    if (attempt >= 100) throw new Error(`counter ${name} kept changing while a block was reserved`);
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(64, 2 ** attempt)));
  }
}

/**
 * Raise the counter to at least `floor` (never lowers it). A conditional
 * update is atomic: concurrent raises settle on the highest floor.
 */
export async function raiseSequenceTo(floor: number, name: string = TICKET_COUNTER): Promise<void> {
  const res = await CounterModel.updateOne({ _id: name, seq: { $lt: floor } }, { $set: { seq: floor } });
  if (res.matchedCount > 0) return;
  // Either the counter is already high enough, or it does not exist yet.
  try {
    await CounterModel.collection.insertOne({ _id: name as never, seq: floor });
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    // It exists now (someone created it): make sure it is high enough.
    await CounterModel.updateOne({ _id: name, seq: { $lt: floor } }, { $set: { seq: floor } });
  }
}

export async function currentSequence(name: string = TICKET_COUNTER): Promise<number> {
  const counter = await CounterModel.findById(name).lean();
  return counter?.seq ?? 0;
}
