// Mail loops: a responder that answers every message without saying it is
// a machine (no Auto-Submitted) would trade mail with us for ever. So
// inbound replies are capped per ticket and per sender address, and
// confirmations per recipient, each per hour, counted in MongoDB (every
// process sees the same counts; a mailbox's reader may move between them).
// One counter per key and hour, raised by a conditional write that only
// matches below the cap: two processes can never both take the last place.
// The hour is the database's (db/database-time.ts), so hosts' clocks do not matter.
import { createHash } from 'node:crypto';
import { databaseNow } from '../db/database-time';
import { MailCapModel } from './mail-cap.model';

const HOUR_MS = 3_600_000;
/** A first count raced by another's first count (both inserting): counted again, at most this often. */
const RACES = 5;

export interface CapKey {
  /** What the count is of, for the reason given: "sender", "ticket", "recipient". */
  name: string;
  /** Its value (an address, a ticket id): stored as a hash only. */
  value: string;
  /** How many an hour. */
  cap: number;
}

const hashed = (k: CapKey) =>
  `${k.name}:${createHash('sha256').update(k.value.trim().toLowerCase()).digest('base64url')}`;

const counts = () => MailCapModel.collection;

/** Count one under this key within this hour; false when it is full. */
async function countOne(key: string, cap: number, hour: number): Promise<boolean> {
  for (let race = 0; race < RACES; race++) {
    try {
      await counts().updateOne(
        { key, hour, n: { $lt: cap } },
        { $inc: { n: 1 }, $setOnInsert: { at: new Date(hour * HOUR_MS) } },
        { upsert: true },
      );
      return true;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      // The counter exists and did not match: full, unless it was another's first count racing ours.
      const doc = await counts().findOne<{ n: number }>({ key, hour });
      if (!doc || doc.n >= cap) return false;
    }
  }
  return false;
}

/**
 * Count one more message under every key, unless one of them is full:
 * then what this call counted is given back and that key is answered.
 */
export async function takeCap(keys: readonly CapKey[]): Promise<CapKey | null> {
  const hour = Math.floor((await databaseNow()).getTime() / HOUR_MS);
  const taken: string[] = [];
  for (const k of keys) {
    const key = hashed(k);
    if (await countOne(key, k.cap, hour)) {
      taken.push(key);
      continue;
    }
    for (const t of taken) await counts().updateOne({ key: t, hour }, { $inc: { n: -1 } });
    return k;
  }
  return null;
}
