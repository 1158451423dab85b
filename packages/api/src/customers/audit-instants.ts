// Entries of the audit trail written before their ids held the day only
// (audit.ts, dayId) held the second they were made, and 8 bytes shared
// with the ids of the erased tickets' events: each is copied under an id
// of its day and then deleted. Run by the retention sweep, one process at
// a time: every entry until one pass went through all (a marker in
// `schema_migrations`), then the last days' only (a process of an older
// version may still write such ids during a rolling upgrade).
//
// A copy names the entry it replaces until that entry is gone: a crash in
// between is finished by the next pass, and a unique index on `replaces`
// keeps two passes from copying one entry twice.
import type { Document } from 'mongodb';
import { Types } from 'mongoose';
import { database } from '../db/database';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import type { Logger } from '../logging/logger';
import { dayId, dayOf } from './audit';
import { CustomerAuditModel } from './customer-audit.model';

const MARKER = 'audit-day-ids-1';
/** After the first whole pass, entries of this many days back are looked at again. */
const RECENT_DAYS = 2;
const DAY_MS = 86_400_000;

const migrations = () => database().collection<{ _id: string; at: Date }>('schema_migrations');
const entries = () => CustomerAuditModel.collection;

const isObjectId = (v: unknown): v is Types.ObjectId => (v as { _bsontype?: string } | null)?._bsontype === 'ObjectId';
const isDay = (d: unknown): d is Date => d instanceof Date && d.getTime() % DAY_MS === 0;

/** The day an entry is of: its `at`, or, when that is not a usable date, its id's. */
function dayOfEntry(entry: Document, id: Types.ObjectId): Date {
  const at = entry.at;
  const usable = at instanceof Date && at.getTime() >= 0 && at.getTime() < 2 ** 32 * 1000;
  return dayOf(usable ? at : id.getTimestamp());
}

/** Copy the entry under an id of its day, then delete it; false when it needs none or another pass has it. */
async function rewrite(entry: Document): Promise<boolean> {
  const id = entry._id;
  if (!isObjectId(id) || entry.replaces) return false;
  const day = dayOfEntry(entry, id);
  if (id.getTimestamp().getTime() === day.getTime() && isDay(entry.at)) return false;
  const copy = { ...entry, _id: dayId(day), at: day, replaces: id };
  try {
    await entries().insertOne(copy);
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
  await finish(copy._id, id);
  return true;
}

/** The copy is in: the old entry goes, then the copy forgets it. */
async function finish(copyId: Types.ObjectId, replaced: Types.ObjectId): Promise<void> {
  await entries().deleteOne({ _id: replaced });
  await entries().updateOne({ _id: copyId }, { $unset: { replaces: '' } });
}

/** Give older entries ids of their day; how many were. */
export async function forgetAuditInstants(log: Pick<Logger, 'warn'>, now = new Date()): Promise<number> {
  for await (const copy of entries().find({ replaces: { $exists: true } }))
    if (isObjectId(copy.replaces)) await finish(copy._id as Types.ObjectId, copy.replaces);
  const marked = await migrations().findOne({ _id: MARKER });
  const filter = marked ? { at: { $gte: new Date(dayOf(now).getTime() - RECENT_DAYS * DAY_MS) } } : {};
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
  if (!marked)
    try {
      await migrations().insertOne({ _id: MARKER, at: dayOf(now) });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  return moved;
}
