// The customer's key to one ticket: 256 random bits, given once (in
// createTicket's answer, and in the confirmation email), stored only as a
// SHA-256 hash. A key this long needs no slow hash: nobody can enumerate it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Longest key argument compared at all; anything longer is a wrong key without hashing it. */
export const MAX_KEY_LENGTH = 128;

export const newCustomerKey = (): string => randomBytes(32).toString('base64url');

export const hashCustomerKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('base64url');

/** Whether `given` is the key whose hash is `stored` (constant time in the hash; false when there is none). */
export function customerKeyMatches(stored: string | null | undefined, given: string): boolean {
  if (!stored || !given || given.length > MAX_KEY_LENGTH) return false;
  const a = Buffer.from(stored);
  const b = Buffer.from(hashCustomerKey(given.trim()));
  return a.length === b.length && timingSafeEqual(a, b);
}
