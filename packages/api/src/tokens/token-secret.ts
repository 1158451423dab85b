// Token strings, as pure functions. A token reads "tkt_<id>_<secret>": the
// id finds the stored record (an indexed lookup that reveals nothing), the
// secret is compared as a SHA-256 digest in constant time. The secret is 32
// random bytes, so a fast hash is enough: there is nothing to brute-force.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN = /^tkt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface TokenParts {
  lookupId: string;
  secret: string;
}

export function newToken(): TokenParts & { token: string } {
  const lookupId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { lookupId, secret, token: `tkt_${lookupId}_${secret}` };
}

export function parseToken(token: string): TokenParts | null {
  const m = TOKEN.exec(token);
  return m ? { lookupId: m[1], secret: m[2] } : null;
}

export const secretDigest = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/** Constant-time comparison of a presented secret with a stored digest. */
export function secretMatches(secret: string, storedDigest: Buffer): boolean {
  const given = secretDigest(secret);
  return storedDigest.length === given.length && timingSafeEqual(storedDigest, given);
}

/** "Bearer <token>" -> the token, or null. */
export function bearer(authorization: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m ? m[1] : null;
}
