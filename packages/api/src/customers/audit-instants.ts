// Entries of the audit trail written before their ids held the day only
// (audit.ts, dayId) held the second they were made, and 8 bytes shared
// with the ids of the erased tickets' events: each is copied under an id
// of its day and then deleted. Run by the retention sweep, one process at
// a time: every entry until one pass went through all (a marker in
// `schema_migrations`), then the last days' only (a process of an older
// version may still write such ids during a rolling upgrade).
//
// An entry is first marked with its copy's id (`movingTo`, a conditional
// update: one pass wins it), then copied under that id (a copy made twice
// is refused the second time), then deleted: a crash or a second pass at
// any step finishes the same move, never a second copy.
import type { Document } from 'mongodb';
import { Types } from 'mongoose';
import { markMigrationDone, migrationDone } from '../doctor/migration-markers';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import type { Logger } from '../logging/logger';
import { DAY_MS, dayId, dayOf } from './audit';
import { CustomerAuditModel } from './customer-audit.model';

const MARKER = 'audit-day-ids-1';
/** After the first whole pass, entries of this many days back are looked at again. */
const RECENT_DAYS = 2;

const entries = () => CustomerAuditModel.collection;

const isObjectId = (v: unknown): v is Types.ObjectId => (v as { _bsontype?: string } | null)?._bsontype === 'ObjectId';
const isDay = (d: unknown): d is Date => d instanceof Date && d.getTime() % DAY_MS === 0;

/** The day an entry is of: its `at`, or, when that is not a usable date, its id's. */
function dayOfEntry(entry: Document, id: Types.ObjectId): Date {
  const at = entry.at;
  const usable = at instanceof Date && at.getTime() >= 0 && at.getTime() < 2 ** 32 * 1000;
  return dayOf(usable ? at : id.getTimestamp());
}

/** Copy the entry under an id of its day, then delete it; false when it needs none or is gone. */
async function rewrite(entry: Document): Promise<boolean> {
  const id = entry._id;
  if (!isObjectId(id)) return false;
  const day = dayOfEntry(entry, id);
  if (!entry.movingTo && id.getTimestamp().getTime() === day.getTime() && isDay(entry.at)) return false;
  let movingTo = isObjectId(entry.movingTo) ? entry.movingTo : dayId(day);
  if (!entry.movingTo) {
    const won = await entries().updateOne({ _id: id, movingTo: { $exists: false } }, { $set: { movingTo } });
    if (won.matchedCount === 0) {
      // Another pass marked it first (or moved it already): finish its move.
      const now = await entries().findOne({ _id: id });
      if (!now || !isObjectId(now.movingTo)) return false;
      movingTo = now.movingTo;
    }
  }
  const { movingTo: _marked, ...rest } = entry;
  try {
    await entries().insertOne({ ...rest, _id: movingTo, at: day });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
  await entries().deleteOne({ _id: id });
  return true;
}

/** Give older entries ids of their day; how many were. */
export async function forgetAuditInstants(log: Pick<Logger, 'warn'>, now = new Date()): Promise<number> {
  const marked = await migrationDone(MARKER);
  // Moves a crash left half done, whatever their day, and the entries still to look at.
  const recent = { at: { $gte: new Date(dayOf(now).getTime() - RECENT_DAYS * DAY_MS) } };
  const filter = marked ? { $or: [recent, { movingTo: { $exists: true } }] } : {};
  let moved = 0;
  let failed = 0;
  for await (const entry of entries().find(filter)) {
    try {
      if (await rewrite(entry)) moved++;
    } catch {
      failed++;
    }
  }
  if (failed) {
    // Tried again next pass: the marker waits until a pass went through all.
    log.warn({ entries: failed }, 'audit trail: entries could not be given ids of their day; trying again next round');
    return moved;
  }
  if (!marked) await markMigrationDone(MARKER, dayOf(now));
  return moved;
}
