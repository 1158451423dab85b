// Pure pieces of listing, the feed and tokens: cursors, the feed's
// consecutive-run rule, token strings.
import { decodeCursor, encodeCursor } from '../../src/listing/cursor';
import { decodeFeedCursor, encodeFeedCursor, eventTag } from '../../src/feed/feed-cursor';
import { Types } from 'mongoose';
import { positionsAfter } from '../../src/feed/feed.service';
import { bearer, newToken, parseToken, secretDigest, secretMatches } from '../../src/tokens/token-secret';

describe('listing cursors', () => {
  const p = { createdAt: new Date('2026-11-28T10:00:00.123Z'), id: '0123456789abcdef01234567' };
  it('round-trip within one order only', () => {
    expect(decodeCursor('CREATED_DESC', encodeCursor('CREATED_DESC', p))).toEqual(p);
    expect(decodeCursor('CREATED_ASC', encodeCursor('CREATED_DESC', p))).toBeNull();
  });
  it.each([
    '',
    'x',
    '!!!',
    'a'.repeat(101),
    Buffer.from('t1:d:abc:0123456789abcdef01234567').toString('base64url'),
    Buffer.from('t2:d:1:0123456789abcdef01234567').toString('base64url'),
    encodeFeedCursor({ feed: '0123456789abcdef', seq: 3, tag: 'abcdef012345' }),
  ])('refuses %p', (c) => {
    expect(decodeCursor('CREATED_DESC', c)).toBeNull();
  });
});

describe('feed cursors and runs', () => {
  const feed = '0123456789abcdef';
  const tag = eventTag(new Types.ObjectId('65f000000000a1b2c3d4e5f6'));
  const cursor = encodeFeedCursor({ feed, seq: 42, tag });

  it('round-trip a feed, a position and the event there, in one spelling of 28 characters', () => {
    expect(tag).toBe('a1b2c3d4e5f6');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]{28}$/);
    expect(decodeFeedCursor(cursor)).toEqual({ feed, seq: 42, tag });
    expect(decodeFeedCursor(encodeFeedCursor({ feed, seq: 2 ** 48 - 1, tag }))?.seq).toBe(2 ** 48 - 1);
    expect(() => encodeFeedCursor({ feed, seq: 0, tag })).toThrow();
  });

  it('refuse every other spelling of the same bytes, and anything else', () => {
    const bytes = Buffer.from(cursor, 'base64url');
    const withDash = Array.from({ length: 5_000 }, (_, i) => encodeFeedCursor({ feed, seq: i + 1, tag })).find((c) =>
      /[-_]/.test(c),
    )!;
    const withSeq = (write: (b: Buffer) => void) => {
      const b = Buffer.from(bytes);
      write(b);
      return b.toString('base64url');
    };
    const others = [
      (() => {
        const spiky = decodeFeedCursor(withDash)!;
        return Buffer.from(encodeFeedCursor(spiky), 'base64url').toString('base64');
      })(), // the other alphabet: + and / for - and _
      `${cursor}=`,
      `${cursor}==`,
      ` ${cursor}`,
      `${cursor}\n`,
      cursor.toLowerCase(),
      cursor.slice(0, 27),
      `${cursor}A`,
      withSeq((b) => {
        b[0] = 1;
      }), // another version
      withSeq((b) => b.writeUIntBE(0, 9, 6)), // position 0: the server never makes it
      Buffer.from(`f1:42`).toString('base64url'), // the old text cursors, and their number spellings
      Buffer.from(`f1:042`).toString('base64url'),
      Buffer.from(`f1:4.2e1`).toString('base64url'),
      Buffer.from(`2.${feed}.42.${tag}`).toString('base64url'),
      encodeCursor('CREATED_DESC', { createdAt: new Date(0), id: '0'.repeat(24) }),
      '',
      'garbage',
    ];
    for (const other of others) expect([other, decodeFeedCursor(other)]).toEqual([other, null]);
    // A different last character that decodes to the same bytes cannot exist at 28 characters (21 bytes, no spare bits); checked anyway:
    const last = cursor.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (const ch of alphabet) {
      if (ch === last) continue;
      const other = cursor.slice(0, 27) + ch;
      if (Buffer.from(other, 'base64url').equals(bytes)) expect(decodeFeedCursor(other)).toBeNull();
    }
  });

  it('reads consecutive positions from contiguous batches, stopping at the first gap or the limit', () => {
    const id = Array.from({ length: 10 }, () => new Types.ObjectId());
    const batch = (start: number, n: number) => ({
      _id: start,
      end: start + n - 1,
      ids: id.slice(start - 1, start - 1 + n),
    });
    const seqs = (ps: { seq: number; id: Types.ObjectId }[]) => ps.map((p) => [p.seq, String(p.id)]);
    const at = (...ns: number[]) => ns.map((n) => [n, String(id[n - 1])]);
    expect(seqs(positionsAfter([batch(1, 3), batch(4, 2), batch(6, 1)], 0, 10))).toEqual(at(1, 2, 3, 4, 5, 6));
    expect(seqs(positionsAfter([batch(1, 3), batch(4, 2)], 2, 10))).toEqual(at(3, 4, 5)); // from inside a batch
    expect(seqs(positionsAfter([batch(1, 3), batch(6, 2)], 0, 10))).toEqual(at(1, 2, 3)); // 4-5 not claimed yet: stop
    expect(seqs(positionsAfter([batch(1, 3), batch(4, 2)], 0, 4))).toEqual(at(1, 2, 3, 4)); // limit
    expect(positionsAfter([batch(1, 3)], 3, 10)).toEqual([]); // nothing new
    expect(positionsAfter([], 0, 10)).toEqual([]);
  });
});

describe('token strings', () => {
  it('are random, parse back, and match only their own secret', () => {
    const a = newToken();
    const b = newToken();
    expect(a.token).not.toBe(b.token);
    expect(a.token.length).toBeGreaterThanOrEqual(32);
    expect(parseToken(a.token)).toEqual({ lookupId: a.lookupId, secret: a.secret });
    expect(secretMatches(a.secret, secretDigest(a.secret))).toBe(true);
    expect(secretMatches(b.secret, secretDigest(a.secret))).toBe(false);
    expect(parseToken('tkt_short')).toBeNull();
    expect(bearer('Bearer  abc ')).toBe('abc');
    expect(bearer('Basic abc')).toBeNull();
  });
});
