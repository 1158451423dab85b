// The CREATED confirmation carries the customer's key, which is stored
// only as a hash. So that the mail can be sent by whichever process holds
// the sending lease (after a crash too), createTicket also stores the key
// sealed (AES-256-GCM) while the confirmation is pending; the sender
// removes the sealed copy once the mail is sent or given up. The sealing
// key is the deployment's EMAIL_SEAL_SECRET, or else a random one kept in
// the database (then a copy of the database with a pending confirmation
// in it holds that one key: set EMAIL_SEAL_SECRET to keep them apart).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';

const SECRETS = 'mail_secrets';

export class KeySeal {
  private constructor(private readonly key: Buffer) {}

  static async load(db: Db, secret?: string): Promise<KeySeal> {
    if (secret) return new KeySeal(createHash('sha256').update(`customer-key-seal|${secret}`).digest());
    const secrets = db.collection<{ _id: string; value: string }>(SECRETS);
    // Insert if absent (a unique _id: one wins), then read whichever won.
    await secrets.insertOne({ _id: 'seal', value: randomBytes(32).toString('base64') }).catch((err) => {
      if ((err as { code?: number }).code !== 11000) throw err;
    });
    const doc = await secrets.findOne({ _id: 'seal' });
    return new KeySeal(Buffer.from(doc!.value, 'base64'));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  }

  /** The plain text, or null when it does not open (another key, damaged). */
  open(sealed: string): string | null {
    try {
      const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
