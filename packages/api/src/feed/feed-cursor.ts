// Feed cursors, as pure functions. A cursor names one position of one feed
// and the change the feed holds there, in 21 bytes:
//   version (1 byte, 2) | the feed's id (8) | the position (6, big-endian) | the event's tag (6)
// base64url-encoded: 28 characters, no padding. The tag (the last 6 bytes
// of the event's id) lets a feed tell its own cursor from one for the same
// position of an earlier history (a database restored from a backup, then
// grown again). Only the server's own spelling is accepted: decoding
// re-encodes and compares, so padding, the other base64 alphabet or any
// other text that decodes to the same bytes is refused.
const VERSION = 2;
const LENGTH = 21;
const MAX_POSITION = 2 ** 48 - 1;

export interface FeedCursor {
  /** The feed's id: 16 hex digits. */
  feed: string;
  /** The position, from 1. */
  seq: number;
  /** The event at that position: the last 12 hex digits of its id. */
  tag: string;
}

/** What a cursor keeps of the event at its position. */
export const eventTag = (eventId: { toHexString(): string } | string): string =>
  (typeof eventId === 'string' ? eventId : eventId.toHexString()).slice(-12);

const HEX16 = /^[0-9a-f]{16}$/;
const HEX12 = /^[0-9a-f]{12}$/;

export function encodeFeedCursor(c: FeedCursor): string {
  if (!HEX16.test(c.feed) || !HEX12.test(c.tag) || !Number.isSafeInteger(c.seq) || c.seq < 1 || c.seq > MAX_POSITION)
    throw new Error('not a feed position');
  const bytes = Buffer.alloc(LENGTH);
  bytes[0] = VERSION;
  bytes.write(c.feed, 1, 'hex');
  bytes.writeUIntBE(c.seq, 9, 6);
  bytes.write(c.tag, 15, 'hex');
  return bytes.toString('base64url');
}

/** The cursor, or null when the text is not a feed cursor spelt as the server spells them. */
export function decodeFeedCursor(text: string): FeedCursor | null {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{28}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== LENGTH || bytes[0] !== VERSION) return null;
  const c = { feed: bytes.toString('hex', 1, 9), seq: bytes.readUIntBE(9, 6), tag: bytes.toString('hex', 15, 21) };
  if (c.seq < 1) return null;
  return encodeFeedCursor(c) === text ? c : null;
}
