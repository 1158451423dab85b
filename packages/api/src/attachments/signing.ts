// Signed URLs: HMAC-SHA256 over what the URL allows (upload or download),
// the attachment and the expiry. The key is ATTACHMENT_SIGNING_KEY, or one
// created once in the database and shared by every process.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from 'mongodb';
import { isDuplicateKeyError } from '../errors/duplicate-key';

export type Purpose = 'upload' | 'download';

const KEY_COLLECTION = 'attachment_keys';
const KEY_ID = 'url-signing';

export class UrlSigner {
  constructor(private readonly key: Buffer) {}

  sign(purpose: Purpose, id: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${purpose}\n${id}\n${expires}`).digest('base64url');
  }

  /** 'ok', 'expired' (signature right, time up) or 'invalid'. */
  check(
    purpose: Purpose,
    id: string,
    expires: string | null,
    signature: string | null,
    now = Date.now(),
  ): 'ok' | 'expired' | 'invalid' {
    if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return 'invalid';
    const expected = Buffer.from(this.sign(purpose, id, Number(expires)));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return Number(expires) * 1000 > now ? 'ok' : 'expired';
  }
}

/** The configured key, or the database's (created by whichever process comes first). */
export async function signingKey(db: Db, configured: string | undefined): Promise<Buffer> {
  if (configured) return Buffer.from(configured);
  const keys = db.collection<{ _id: string; key: string; createdAt: Date }>(KEY_COLLECTION);
  try {
    await keys.updateOne(
      { _id: KEY_ID },
      { $setOnInsert: { key: randomBytes(32).toString('base64'), createdAt: new Date() } },
      { upsert: true },
    );
  } catch (err) {
    // Two processes upserting at once: one inserts, the other hits the _id; both then read the same key.
    if (!isDuplicateKeyError(err)) throw err;
  }
  const doc = await keys.findOne({ _id: KEY_ID });
  if (!doc) throw new Error('attachment signing key missing after upsert');
  return Buffer.from(doc.key, 'base64');
}
