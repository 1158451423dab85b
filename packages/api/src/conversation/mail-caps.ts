// Mail loops: a responder that answers every message without saying it is
// a machine (no Auto-Submitted) would trade mail with us for ever. So
// inbound replies are capped per ticket and per sender address, and
// confirmations per recipient, each per hour, counted in MongoDB (every
// process sees the same counts; a mailbox's reader may move between them).
// The hour is this process's clock: hosts' skew moves the window's edge by
// their difference, never lets a count through twice.
import { createHash } from 'node:crypto';
import { MailCapModel } from './mail-cap.model';

const HOUR_MS = 3_600_000;
const SWEEP_MS = 60_000;

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

/** Which key is already full (counted `cap` times within the hour), or null: a pure decision on the counts. */
export function fullKey(keys: readonly CapKey[], counts: readonly number[]): CapKey | null {
  return keys.find((k, i) => counts[i] >= k.cap) ?? null;
}

let sweptAt = 0;

/**
 * Count one more message under every key, unless one of them is full:
 * then nothing is counted and that key is answered.
 */
export async function takeCap(keys: readonly CapKey[], now = new Date()): Promise<CapKey | null> {
  const since = new Date(now.getTime() - HOUR_MS);
  const counts = await Promise.all(
    keys.map(
      async (k) =>
        (
          await MailCapModel.collection
            .find({ key: hashed(k), at: { $gt: since } })
            .limit(k.cap)
            .toArray()
        ).length,
    ),
  );
  const full = fullKey(keys, counts);
  if (full) return full;
  if (keys.length) await MailCapModel.collection.insertMany(keys.map((k) => ({ key: hashed(k), at: now })) as never);
  // Engines without TTL indexes: the old counts go here.
  if (now.getTime() - sweptAt > SWEEP_MS) {
    sweptAt = now.getTime();
    await MailCapModel.collection.deleteMany({ at: { $lt: new Date(now.getTime() - 2 * HOUR_MS) } });
  }
  return null;
}
