// Pure pieces of listing, the feed and tokens: cursors, the feed's
// consecutive-run rule, token strings.
import { decodeCursor, encodeCursor } from '../../src/listing/cursor';
import { decodeFeedCursor, encodeFeedCursor } from '../../src/feed/feed-cursor';
import { Types } from 'mongoose';
import { positionsAfter } from '../../src/feed/feed.service';
import { bearer, newToken, parseToken, secretDigest, secretMatches } from '../../src/tokens/token-secret';

describe('listing cursors', () => {
  const p = { createdAt: new Date('2026-11-28T10:00:00.123Z'), id: '0123456789abcdef01234567' };
  it('round-trip within one order only', () => {
    expect(decodeCursor('CREATED_DESC', encodeCursor('CREATED_DESC', p))).toEqual(p);
    expect(decodeCursor('CREATED_ASC', encodeCursor('CREATED_DESC', p))).toBeNull();
  });
  it.each(['', 'x', '!!!', 'a'.repeat(101), Buffer.from('t1:d:abc:0123456789abcdef01234567').toString('base64url'), Buffer.from('t2:d:1:0123456789abcdef01234567').toString('base64url'), encodeFeedCursor(3)])('refuses %p', (c) => {
    expect(decodeCursor('CREATED_DESC', c)).toBeNull();
  });
});

describe('feed cursors and runs', () => {
  it('round-trip positions; refuse anything else', () => {
    expect(decodeFeedCursor(encodeFeedCursor(42))).toBe(42);
    expect(decodeFeedCursor(encodeCursor('CREATED_DESC', { createdAt: new Date(0), id: '0'.repeat(24) }))).toBeNull();
    expect(decodeFeedCursor('f1:42')).toBeNull();
  });
  it('reads consecutive positions from contiguous batches, stopping at the first gap or the limit', () => {
    const id = Array.from({ length: 10 }, () => new Types.ObjectId());
    const batch = (start: number, n: number) => ({ _id: start, end: start + n - 1, ids: id.slice(start - 1, start - 1 + n) });
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
